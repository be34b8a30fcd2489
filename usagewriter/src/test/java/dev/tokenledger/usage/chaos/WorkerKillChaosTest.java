package dev.tokenledger.usage.chaos;

import dev.tokenledger.usage.TestWiring;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.usage.RecorderSettings;
import dev.tokenledger.usage.UsageRecorder;
import dev.tokenledger.usage.WorkerProcess;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.Test;

/**
 * Scenario "worker-kill": the usage writer (JobRunr server, sealer, usage_write jobs) runs in a JVM of its
 * own and is killed with SIGKILL at random moments under steady load, then started again: 20 times in the
 * full run, 3 in the quick one. Nothing may be lost or counted twice, raw and rollup to the last digit.
 */
@Execution(ExecutionMode.CONCURRENT)
@Tag(Chaos.TAG)
@Tag("chaos-worker-kill")
class WorkerKillChaosTest {

    @Test
    void aWorkerKilledWithSigkillAtRandomMomentsUnderSteadyLoadLosesNothingAndCountsNothingTwice() {
        int kills = Chaos.pick(3, 20);
        Random random = Chaos.random("worker-kill");
        ServerClickHouse.Settings chSettings = TestClickHouse.serverSettings("chaos_worker_kill");
        try (PostgresDatabase postgres = TestPostgres.freshDatabase("chaos_worker_kill");
             ServerClickHouse clickHouse = ServerClickHouse.open(chSettings);
             UsageRecorder recorder = TestWiring.recorder(postgres.dataSource(), RecorderSettings.DEFAULTS)) {
            SteadyLoad load = Chaos.full() ? SteadyLoad.start(recorder, 2, 25, Duration.ofMillis(20))
                    : SteadyLoad.start(recorder, 1, 25, Duration.ofMillis(20));
            Duration maxGap = Chaos.pick(Duration.ofMillis(1_200), Duration.ofMillis(3_000));
            ChildJvm worker = startWorker(postgres, chSettings, 0);
            long lastKill;
            try {
                for (int kill = 1; ; kill++) {
                    Chaos.sleep(Chaos.between(random, Duration.ofMillis(300), maxGap));
                    worker.kill(); // SIGKILL: mid-batch, mid-insert, mid-mark, wherever it was
                    lastKill = System.nanoTime();
                    worker = startWorker(postgres, chSettings, kill);
                    if (kill == kills) {
                        break;
                    }
                }
                Chaos.sleep(Duration.ofSeconds(1));
                load.stop();

                LedgerAudit audit = new LedgerAudit(postgres.dataSource(), clickHouse);
                audit.awaitDrained(Chaos.pick(Duration.ofMinutes(5), Duration.ofMinutes(15)));
                Duration recovered = Duration.ofNanos(System.nanoTime() - lastKill);
                LedgerAudit.Result result = audit.audit(load.acknowledged);
                System.out.println("[chaos] worker-kill: " + result.summary());
                ChaosReport.of("worker kill", load.describe(), kills + "× SIGKILL of the writer JVM at random"
                                + " moments (0.3–" + maxGap.toMillis() / 1000.0 + " s apart), restarted each time", result, recovered,
                        "recovery = last kill → every durable event written and reconcile clean").publish();
                assertThat(load.failures.get()).as("record() failures (PostgreSQL was up)").isZero();
                result.assertExactlyOnce();
            } finally {
                worker.close();
            }
        }
    }

    private static ChildJvm startWorker(PostgresDatabase postgres, ServerClickHouse.Settings ch, int generation) {
        return ChildJvm.start("worker-kill-worker-" + generation, WorkerProcess.class, List.of("-Xmx512m"),
                List.of(postgres.jdbcUrl(), ch.endpoint(), ch.database()), Duration.ofSeconds(60));
    }
}
