package dev.tokenledger.usage;

import org.jobrunr.jobs.lambdas.JobRequest;

/** The stored argument of the recurring {@code usage_reconcile} job (none needed; never renamed). */
public record UsageReconcileRequest() implements JobRequest {
    @Override
    public Class<UsageReconcileJob> getJobRequestHandler() {
        return UsageReconcileJob.class;
    }
}
