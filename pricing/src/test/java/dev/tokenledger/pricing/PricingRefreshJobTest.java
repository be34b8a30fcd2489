package dev.tokenledger.pricing;

import static dev.tokenledger.postgres.schema.Tables.MODEL_PRICING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import org.jobrunr.jobs.RecurringJob;
import org.jobrunr.jobs.mappers.JobMapper;
import org.jobrunr.scheduling.JobRequestScheduler;
import org.jobrunr.server.JobActivator;
import org.jobrunr.server.runner.BackgroundJobWithIocRunner;
import org.jobrunr.storage.StorageProviderUtils.DatabaseOptions;
import org.jobrunr.storage.sql.postgres.PostgresStorageProvider;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

class PricingRefreshJobTest {
    private static final Instant T0 = Instant.parse("2026-07-25T00:00:00Z");

    @TempDir
    Path dir;

    @Test
    void theRecurringJobIsRegisteredDailyInUtcAndRunsThroughJobRunr(TestInfo test) throws Exception {
        FeedSource.File feed = TestFeeds.file(dir, TestFeeds.JUL);
        try (TestBook book = TestBook.fresh(test.getDisplayName(), T0, s -> s.withFeed(feed).withRefreshCron("5 4 * * *"))) {
            PostgresStorageProvider storage = new PostgresStorageProvider(book.database.dataSource(),
                    DatabaseOptions.SKIP_CREATE);
            storage.setJobMapper(new JobMapper(new JacksonJsonMapper()));
            JobRequestScheduler scheduler = new JobRequestScheduler(storage);

            assertThat(book.pricing.scheduleRecurringRefresh(scheduler)).isEqualTo("pricing_refresh");
            book.pricing.scheduleRecurringRefresh(scheduler); // registering again updates, never duplicates

            assertThat(storage.getRecurringJobs()).singleElement().satisfies(job -> {
                assertThat(job.getId()).isEqualTo(PricingRefreshJob.RECURRING_JOB_ID);
                assertThat(job.getScheduleExpression()).isEqualTo("5 4 * * *");
                assertThat(job.getZoneId()).isEqualTo("Z");
                assertThat(job.getJobDetails().getClassName()).isEqualTo(PricingRefreshJob.class.getName());
            });

            RecurringJob stored = storage.getRecurringJobs().getFirst();
            PricingRefreshJob handler = book.pricing.refreshJob();
            JobActivator activator = new JobActivator() {
                @Override
                public <T> T activateJob(Class<T> type) {
                    return type == PricingRefreshJob.class ? type.cast(handler) : null;
                }
            };
            new BackgroundJobWithIocRunner(activator).run(stored.toEnqueuedJob());

            assertThat(book.sql.fetchCount(MODEL_PRICING)).isEqualTo(2983);
        }
    }

    @Test
    void aFailedRunThrowsSoJobRunrRetriesItButARefusedFeedDoesNot(TestInfo test) {
        try (TestBook failing = TestBook.fresh(test.getDisplayName() + "a", T0,
                s -> s.withFeed(new FeedSource.File(dir.resolve("missing.json"))));
             TestBook refusing = TestBook.fresh(test.getDisplayName() + "b", T0,
                s -> s.withFeed(TestFeeds.file(dir, "html.json", "<html>")))) {
            assertThatThrownBy(() -> failing.pricing.refreshJob().run(new PricingRefreshRequest()))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("failed: NoSuchFileException");

            refusing.pricing.refreshJob().run(new PricingRefreshRequest());
            assertThat(refusing.pricing.recentRefreshes(1).getFirst().outcome()).isEqualTo(RefreshOutcome.REFUSED);
        }
    }
}
