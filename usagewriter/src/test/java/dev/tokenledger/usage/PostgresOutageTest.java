package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.RestartablePostgres;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PostgreSQL goes away under a running pipeline and comes back: no process restart is needed. */
class PostgresOutageTest {

    @Test
    void processingResumesByItselfAfterPostgresWasStoppedAndStartedAgain(@TempDir Path dir) {
        try (RestartablePostgres server = RestartablePostgres.start(dir.resolve("pg"));
             PostgresDatabase postgres = server.database();
             ClickHouse clickHouse = TestClickHouse.embedded("pg_outage")) {
            TestPipeline pipeline = TestPipeline.start(postgres, clickHouse);
            try (JobServerWatchdog watchdog = new JobServerWatchdog(pipeline.jobServer, postgres.dataSource(),
                    Duration.ofMillis(500))) {
                pipeline.recorder.record(TestEvents.events(10));
                pipeline.awaitRawCount(10, Duration.ofSeconds(60));

                server.stopServer();
                long started = System.nanoTime();
                assertThatThrownBy(() -> pipeline.recorder.record(TestEvents.events(1)))
                        .isInstanceOf(RecordFailedException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - started))
                        .as("record() fails fast, within its timeout").isLessThan(Duration.ofSeconds(10));
                TestPipeline.await(() -> !pipeline.jobServer.isRunning(), Duration.ofSeconds(90),
                        () -> "JobRunr's server kept running through the outage");

                server.startServer();
                TestPipeline.await(() -> pipeline.jobServer.isRunning(), Duration.ofSeconds(60),
                        () -> "the watchdog did not restart JobRunr's server");
                pipeline.recorder.record(TestEvents.events(10));
                pipeline.awaitRawCount(20, Duration.ofSeconds(60));
                assertThat(watchdog.restartCount()).isPositive();
                assertThat(pipeline.rawCount()).isEqualTo(20);
            } finally {
                pipeline.close();
            }
        }
    }
}
