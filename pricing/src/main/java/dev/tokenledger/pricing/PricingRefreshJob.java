package dev.tokenledger.pricing;

import org.jobrunr.jobs.annotations.Job;
import org.jobrunr.jobs.lambdas.JobRequestHandler;

/**
 * Runs {@link PricingRefreshRequest}. JobRunr gets this handler from the application's {@code JobActivator}
 * ({@link Pricing#refreshJob()}); it has no no-arg constructor on purpose.
 *
 * <p>A refused feed (bad data) is a finished run: it is logged and the job succeeds, since retrying the
 * same bad feed cannot help. A failed run (network, database) throws, so JobRunr retries it, up to 3 times
 * (3 s, 9 s, 27 s later); the next daily run comes anyway.
 */
public final class PricingRefreshJob implements JobRequestHandler<PricingRefreshRequest> {
    /** The recurring job's id in JobRunr, and its name. */
    public static final String RECURRING_JOB_ID = "pricing_refresh";

    private final Pricing pricing;

    PricingRefreshJob(Pricing pricing) {
        this.pricing = pricing;
    }

    @Override
    @Job(name = RECURRING_JOB_ID, retries = 3)
    public void run(PricingRefreshRequest request) {
        RefreshResult result = pricing.refresh();
        if (result.outcome() == RefreshOutcome.FAILED) {
            throw new IllegalStateException("pricing_refresh from " + result.source() + " failed: " + result.reason());
        }
    }
}
