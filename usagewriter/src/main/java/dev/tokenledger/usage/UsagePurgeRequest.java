package dev.tokenledger.usage;

import org.jobrunr.jobs.lambdas.JobRequest;

/** The stored argument of the recurring {@code usage_purge} job (none needed; never renamed). */
public record UsagePurgeRequest() implements JobRequest {
    @Override
    public Class<UsagePurgeJob> getJobRequestHandler() {
        return UsagePurgeJob.class;
    }
}
