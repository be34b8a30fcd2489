package dev.tokenledger.usage;

import org.jobrunr.jobs.lambdas.JobRequest;

/**
 * The stored argument of a {@code usage_write} job: which batch to write. Its class name is part of
 * every queued job's JSON, so it is never renamed or changed; a new shape gets a new {@code V2} record
 * and this one keeps working for jobs already queued.
 */
public record UsageWriteRequestV1(long batchId) implements JobRequest {
    @Override
    public Class<UsageWriteJob> getJobRequestHandler() {
        return UsageWriteJob.class;
    }
}
