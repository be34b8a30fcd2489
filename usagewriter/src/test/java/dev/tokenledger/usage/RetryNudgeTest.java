package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.jobrunr.jobs.Job;
import org.jobrunr.jobs.states.StateName;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.storage.navigation.AmountRequest;
import org.junit.jupiter.api.Test;

/**
 * After a ClickHouse outage, usage_write jobs that failed wait 3^n s for their next attempt (hours after a
 * long outage). Once a write succeeds again they are queued at once. Found by the ClickHouse-outage chaos
 * scenario: without this, a 10-minute outage took up to 12 more minutes to drain.
 */
class RetryNudgeTest {

    @Test
    void onceClickHouseAnswersAgainAJobWaitingAnHourForItsRetryIsWrittenWithinSeconds() {
        try (PostgresDatabase postgres = TestPostgres.freshDatabase("retry_nudge");
             FaultyClickHouse clickHouse = new FaultyClickHouse(TestClickHouse.embedded("retry_nudge"))) {
            TestPipeline pipeline = TestPipeline.start(postgres, clickHouse);
            try {
                clickHouse.down();
                pipeline.recorder.record(TestEvents.events(10));
                Job waiting = awaitOneScheduledUsageWrite(pipeline.storage);
                // As after several failures in a long outage: the next attempt is an hour away.
                waiting.scheduleAt(Instant.now().plus(Duration.ofHours(1)), "retry 7 of 11");
                pipeline.storage.save(waiting);

                clickHouse.up();
                pipeline.recorder.record(TestEvents.events(5)); // a new batch: its write succeeds

                pipeline.awaitRawCount(15, Duration.ofSeconds(30));
                LocalDate today = LocalDate.now(ZoneOffset.UTC);
                TestPipeline.await(() -> pipeline.reconciler.reconcile(today.minusDays(1), today).pending() == 0,
                        Duration.ofSeconds(30), () -> "batches still unmarked");
                assertThat(pipeline.reconciler.reconcile(today.minusDays(1), today).clean()).isTrue();
                assertThat(pipeline.rawCount()).isEqualTo(15);
            } finally {
                pipeline.close();
            }
        }
    }

    @Test
    void aJobOnItsLastRetryKeepsItsScheduleSoANudgeCanNeverMakeItFail() {
        try (PostgresDatabase postgres = TestPostgres.freshDatabase("retry_nudge_last");
             FaultyClickHouse clickHouse = new FaultyClickHouse(TestClickHouse.embedded("retry_nudge_last"))) {
            TestPipeline pipeline = TestPipeline.start(postgres, clickHouse, new FixedRatePricer(),
                    WriterSettings.DEFAULTS.withJobRetries(1), 2);
            try {
                clickHouse.down();
                pipeline.recorder.record(TestEvents.events(3));
                Job lastRetry = awaitOneScheduledUsageWrite(pipeline.storage); // failed once, 1 retry allowed
                lastRetry.scheduleAt(Instant.now().plus(Duration.ofHours(1)), "retry 1 of 1");
                pipeline.storage.save(lastRetry);

                int nudged = new RetryNudge(pipeline.storage, () -> { }, InstantSource.system()).nudge();

                assertThat(nudged).isZero();
                assertThat(pipeline.storage.getJobById(lastRetry.getId()).getState()).isEqualTo(StateName.SCHEDULED);
            } finally {
                clickHouse.up();
                pipeline.close();
            }
        }
    }

    private static Job awaitOneScheduledUsageWrite(StorageProvider storage) {
        TestPipeline.await(() -> !scheduled(storage).isEmpty(), Duration.ofSeconds(30),
                () -> "no usage_write job failed and waits for a retry");
        List<Job> jobs = scheduled(storage);
        assertThat(jobs).hasSize(1);
        return jobs.getFirst();
    }

    private static List<Job> scheduled(StorageProvider storage) {
        return storage.getJobList(StateName.SCHEDULED, new AmountRequest("updatedAt:ASC", 100)).stream()
                .filter(FailedUsageWrites::isUsageWrite).toList();
    }
}
