package dev.tokenledger.usage;

import org.jobrunr.jobs.lambdas.JobRequest;

/** The stored argument of a {@code usage_reprice} job: the run (its range, filter and reason are in PostgreSQL). Never renamed. */
public record UsageRepriceRequestV1(long runId) implements JobRequest {
    @Override
    public Class<UsageRepriceJob> getJobRequestHandler() {
        return UsageRepriceJob.class;
    }
}
