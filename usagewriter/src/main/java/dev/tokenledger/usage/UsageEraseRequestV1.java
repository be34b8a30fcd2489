package dev.tokenledger.usage;

import org.jobrunr.jobs.lambdas.JobRequest;

/** The stored argument of a {@code usage_erase} job: the erasure (whose usage, and why, is in PostgreSQL). Never renamed. */
public record UsageEraseRequestV1(long erasureId) implements JobRequest {
    @Override
    public Class<UsageEraseJob> getJobRequestHandler() {
        return UsageEraseJob.class;
    }
}
