package dev.tokenledger.usage.chaos;

import dev.tokenledger.usage.TestWiring;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.RestartablePostgres;
import dev.tokenledger.usage.JobServerWatchdog;
import dev.tokenledger.usage.RecorderSettings;
import dev.tokenledger.usage.TestPipeline;
import dev.tokenledger.usage.UsageRecorder;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario "postgres-outage": PostgreSQL is stopped under load for 30 s in the full run (10 s in the quick
 * one) and started again. {@code record()} fails fast with a clear error, never hanging past its configured
 * timeout; background processing resumes by itself (the JobRunr watchdog), no process restart; failed calls
 * retried with the same ids afterwards count once.
 */
@Execution(ExecutionMode.CONCURRENT)
@Tag(Chaos.TAG)
@Tag("chaos-postgres-outage")
class PostgresOutageChaosTest {

    /**
     * Sized so that the record buffer fills during the outage, as it does in production once callers bring
     * more events than failing commits clear (2 commit threads × 5,000 events per 5 s connection timeout).
     */
    private static final RecorderSettings RECORDER = new RecorderSettings(2, 250, 1_000, Duration.ofMillis(100),
            Duration.ofSeconds(3), RecorderSettings.DEFAULTS.maxFutureSkew(), RecorderSettings.DEFAULTS.retention());

    @Test
    void recordFailsFastDuringAPostgresOutageAndEverythingResumesByItselfAfterIt(@TempDir Path dir) {
        Duration outage = Chaos.pick(Duration.ofSeconds(10), Duration.ofSeconds(30));
        Duration recordTimeout = RECORDER.recordTimeout();
        Chaos.random("postgres-outage");
        try (RestartablePostgres server = RestartablePostgres.start(dir.resolve("pg"));
             PostgresDatabase postgres = server.database();
             ClickHouse clickHouse = TestClickHouse.embedded("chaos_postgres_outage");
             UsageRecorder recorder = TestWiring.recorder(postgres.dataSource(), RECORDER)) {
            TestPipeline pipeline = TestPipeline.start(postgres, clickHouse);
            recorder.onCommitted(pipeline.writer::wake);
            SteadyLoad load = SteadyLoad.start(recorder, 8, 25, Duration.ofMillis(20));
            try (JobServerWatchdog watchdog = TestWiring.watchdog(pipeline.jobServer, postgres.dataSource(),
                    Duration.ofMillis(500))) {
                Chaos.sleep(Duration.ofSeconds(2));
                server.stopServer();
                Chaos.sleep(outage);
                long failuresDuringOutage = load.failures.get();
                server.startServer();
                long restarted = System.nanoTime();
                Chaos.sleep(Duration.ofSeconds(2));
                load.stop();
                long failedCalls = load.failedCalls.size();
                long alreadyDurable = load.retryFailed(Duration.ofSeconds(60));

                LedgerAudit audit = new LedgerAudit(postgres.dataSource(), clickHouse);
                audit.awaitDrained(Duration.ofMinutes(3));
                Duration recovered = Duration.ofNanos(System.nanoTime() - restarted);
                LedgerAudit.Result result = audit.audit(load.acknowledged);
                Duration longestFailure = Duration.ofNanos(load.longestFailedCallNanos.get());
                System.out.println("[chaos] postgres-outage: " + result.summary() + "; failed record() calls "
                        + failedCalls + " (longest " + longestFailure.toMillis() + " ms, first error: " + load.firstError
                        + "); of their events already durable " + alreadyDurable + "; JobRunr server restarts "
                        + watchdog.restartCount());
                ChaosReport.of("PostgreSQL outage", load.describe(), "PostgreSQL stopped " + outage.toSeconds()
                                + " s, started again; failed calls retried with the same ids", result, recovered,
                        failedCalls + " record() calls failed (longest " + longestFailure.toMillis()
                                + " ms, record timeout " + recordTimeout.toMillis()
                                + " ms, buffer " + RECORDER.bufferEvents() + " events); " + alreadyDurable
                                + " of their events were durable anyway; JobRunr server restarted by the watchdog "
                                + watchdog.restartCount() + "×").publish();

                assertThat(failuresDuringOutage).as("record() failed while PostgreSQL was down").isPositive();
                assertThat(longestFailure).as("a failing record() returns within its timeout")
                        .isLessThanOrEqualTo(recordTimeout.plusSeconds(1));
                assertThat(load.firstError).as("the error says what is wrong").containsIgnoringCase("PostgreSQL");
                assertThat(pipeline.jobServer.isRunning()).as("JobRunr's server runs again").isTrue();
                result.assertExactlyOnce();
            } finally {
                load.close();
                pipeline.close();
            }
        }
    }
}
