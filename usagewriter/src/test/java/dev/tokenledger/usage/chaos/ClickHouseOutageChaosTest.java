package dev.tokenledger.usage.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.usage.FixedRatePricer;
import dev.tokenledger.usage.TestPipeline;
import dev.tokenledger.usage.WriterSettings;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.Test;

/**
 * Scenario "clickhouse-outage": ClickHouse (a server process: chDB behind ClickHouse's HTTP interface) is
 * killed with SIGKILL under load and stays away 10 minutes in the full run (20 s in the quick one), then
 * comes back on the same port and data. Events keep being accepted throughout; no usage_write job ends
 * FAILED; after recovery the backlog drains by itself and reconcile is clean.
 */
@Execution(ExecutionMode.CONCURRENT)
@Tag(Chaos.TAG)
@Tag("chaos-clickhouse-outage")
class ClickHouseOutageChaosTest {

    @Test
    void eventsAreAcceptedThroughAClickHouseOutageAndTheBacklogDrainsExactlyOnceAfterIt() {
        Duration outage = Chaos.pick(Duration.ofSeconds(20), Duration.ofMinutes(10));
        Chaos.random("clickhouse-outage");
        Path data = Path.of("target", "chaos", "clickhouse-outage-" + System.currentTimeMillis());
        try (ClickHouseProcess server = ClickHouseProcess.start("clickhouse-outage", data);
             PostgresDatabase postgres = TestPostgres.freshDatabase("chaos_clickhouse_outage")) {
            ServerClickHouse.Settings settings = server.migratedDatabase("chaos_clickhouse_outage");
            try (ServerClickHouse writerClient = ServerClickHouse.open(settings);
                 ServerClickHouse auditClient = ServerClickHouse.open(settings)) {
                TestPipeline pipeline = TestPipeline.start(postgres, writerClient, new FixedRatePricer(),
                        WriterSettings.DEFAULTS, 4);
                LedgerAudit audit = new LedgerAudit(postgres.dataSource(), auditClient);
                SteadyLoad load = SteadyLoad.start(pipeline.recorder, 1, 20, Duration.ofMillis(50));
                try {
                    Chaos.sleep(Duration.ofSeconds(3));
                    long acceptedBefore = load.acknowledged.size();
                    server.kill();
                    long outageEnds = System.nanoTime() + outage.toNanos();
                    long failedJobsSeen = 0;
                    while (System.nanoTime() < outageEnds) {
                        Chaos.sleep(Duration.ofSeconds(1));
                        failedJobsSeen = Math.max(failedJobsSeen, audit.failedUsageWrites());
                    }
                    long acceptedDuringOutage = load.acknowledged.size() - acceptedBefore;
                    server.start();
                    long restarted = System.nanoTime();
                    Chaos.sleep(Duration.ofSeconds(2));
                    load.stop();

                    audit.awaitDrained(Chaos.pick(Duration.ofMinutes(3), Duration.ofMinutes(30)));
                    Duration recovered = Duration.ofNanos(System.nanoTime() - restarted);
                    LedgerAudit.Result result = audit.audit(load.acknowledged);
                    System.out.println("[chaos] clickhouse-outage: " + result.summary() + "; accepted during the"
                            + " outage " + acceptedDuringOutage + ", record() failures " + load.failures.get() + " (first: "
                            + load.firstError + "), longest record() " + load.longestCallNanos.get() / 1_000_000 + " ms");
                    ChaosReport.of("ClickHouse outage", load.describe(), "ClickHouse server process SIGKILLed, down "
                                    + outage.toSeconds() + " s, restarted on the same port and data", result, recovered,
                            acceptedDuringOutage + " events accepted during the outage, longest record() "
                                    + load.longestCallNanos.get() / 1_000_000 + " ms; recovery = restart → backlog"
                                    + " written and reconcile clean").publish();
                    assertThat(load.failures.get()).as("record() failures during a ClickHouse outage").isZero();
                    assertThat(acceptedDuringOutage).as("events accepted during the outage").isPositive();
                    assertThat(failedJobsSeen).as("usage_write jobs FAILED during the outage").isZero();
                    result.assertExactlyOnce();
                } finally {
                    load.close();
                    pipeline.close();
                }
            }
        }
    }
}
