package dev.tokenledger.pricing;

import org.jobrunr.jobs.lambdas.JobRequest;
import org.jobrunr.jobs.lambdas.JobRequestHandler;

/**
 * The {@code pricing_refresh} job: refresh the price book from the configured feed. Stored by JobRunr
 * under this class name: never rename or move it; add a new versioned request instead.
 */
public record PricingRefreshRequest() implements JobRequest {
    @Override
    @SuppressWarnings("rawtypes") // JobRunr's signature
    public Class<? extends JobRequestHandler> getJobRequestHandler() {
        return PricingRefreshJob.class;
    }
}
