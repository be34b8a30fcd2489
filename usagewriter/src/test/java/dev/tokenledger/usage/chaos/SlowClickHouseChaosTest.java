package dev.tokenledger.usage.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.usage.FixedRatePricer;
import dev.tokenledger.usage.TestPipeline;
import dev.tokenledger.usage.WriterSettings;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.Test;

/**
 * Scenario "slow-clickhouse": a TCP proxy between the writer and ClickHouse holds inserts up past the
 * client's 1 s socket timeout, for 2 minutes in the full run (10 s in the quick one). Most inserts reach
 * ClickHouse and are written, but the answer comes too late (the classic timed-out insert that actually
 * succeeded); some arrive only after the client gave up, possibly after its retry. Nothing may count twice.
 */
@Execution(ExecutionMode.CONCURRENT)
@Tag(Chaos.TAG)
@Tag("chaos-slow-clickhouse")
class SlowClickHouseChaosTest {
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(1);

    @Test
    void insertsThatTimedOutButSucceededAreNotCountedTwice() {
        Duration slowPhase = Chaos.pick(Duration.ofSeconds(10), Duration.ofMinutes(2));
        Random random = Chaos.random("slow-clickhouse");
        ServerClickHouse.Settings direct = TestClickHouse.serverSettings("chaos_slow_clickhouse");
        try (TcpProxy proxy = TcpProxy.to(direct.endpoint());
             PostgresDatabase postgres = TestPostgres.freshDatabase("chaos_slow_clickhouse");
             ServerClickHouse writerClient = ServerClickHouse.open(new ServerClickHouse.Settings(proxy.url(),
                     direct.user(), direct.password(), direct.database(), CLIENT_TIMEOUT, CLIENT_TIMEOUT,
                     CLIENT_TIMEOUT, direct.compressServerResponse()));
             ServerClickHouse auditClient = ServerClickHouse.open(direct)) {
            TestPipeline pipeline = TestPipeline.start(postgres, writerClient, new FixedRatePricer(),
                    WriterSettings.DEFAULTS.withMaxBatchEvents(500), 4);
            SteadyLoad load = SteadyLoad.start(pipeline.recorder, 1, 20, Duration.ofMillis(50));
            try {
                Chaos.sleep(Duration.ofSeconds(2));
                proxy.slowInserts(CLIENT_TIMEOUT.plusMillis(500), CLIENT_TIMEOUT.multipliedBy(4), 0.3, random);
                Chaos.sleep(slowPhase);
                proxy.normal();
                long normalAgain = System.nanoTime();
                Chaos.sleep(Duration.ofSeconds(2));
                load.stop();

                LedgerAudit audit = new LedgerAudit(postgres.dataSource(), auditClient);
                audit.awaitDrained(Chaos.pick(Duration.ofMinutes(3), Duration.ofMinutes(15)));
                Duration recovered = Duration.ofNanos(System.nanoTime() - normalAgain);
                LedgerAudit.Result result = audit.audit(load.acknowledged);
                System.out.println("[chaos] slow-clickhouse: " + result.summary() + "; inserts " + proxy.inserts.get()
                        + ", slowed " + proxy.slowed.get() + " (late requests " + proxy.lateRequests.get()
                        + "), succeeded but the client had given up " + proxy.succeededUnheard.get());
                ChaosReport.of("slow ClickHouse", load.describe(), "TCP proxy delays inserts " + (CLIENT_TIMEOUT.toMillis()
                                + 500) + "–" + CLIENT_TIMEOUT.multipliedBy(4).toMillis() + " ms (client timeout "
                                + CLIENT_TIMEOUT.toMillis() + " ms) for " + slowPhase.toSeconds() + " s; 30% on the way in",
                        result, recovered, proxy.slowed.get() + " inserts slowed; " + proxy.succeededUnheard.get()
                                + " were written by ClickHouse after the client had timed out").publish();
                assertThat(proxy.succeededUnheard.get()).as("inserts that succeeded after the client timed out"
                        + " (the case this scenario is about)").isPositive();
                result.assertExactlyOnce();
            } finally {
                load.close();
                pipeline.close();
            }
        }
    }
}
