package dev.tokenledger.usage;

import java.time.ZoneOffset;
import org.jobrunr.jobs.lambdas.JobRequestHandler;
import org.jobrunr.scheduling.JobRequestScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The hourly {@code usage_purge} job: written events leave usage_event once past the idempotency window. */
public final class UsagePurgeJob implements JobRequestHandler<UsagePurgeRequest> {
    public static final String RECURRING_JOB_ID = "usage_purge";
    private static final Logger LOG = LoggerFactory.getLogger(UsagePurgeJob.class);

    private final UsagePurger purger;

    UsagePurgeJob(UsagePurger purger) {
        this.purger = purger;
    }

    @Override
    public void run(UsagePurgeRequest request) {
        long removed = purger.purge();
        if (removed > 0) {
            LOG.info("usage_purge removed {} written event(s) past the idempotency window", removed);
        }
    }

    /** Registers (or updates) the recurring job, at minute 41 of every hour, UTC. */
    public void scheduleHourly(JobRequestScheduler scheduler) {
        scheduler.scheduleRecurrently(RECURRING_JOB_ID, "41 * * * *", ZoneOffset.UTC, new UsagePurgeRequest());
    }
}
