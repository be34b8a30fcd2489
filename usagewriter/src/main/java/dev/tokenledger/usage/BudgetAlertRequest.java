package dev.tokenledger.usage;

import org.jobrunr.jobs.lambdas.JobRequest;

/**
 * The {@code budget_alert} job: deliver one fired alert (a row of {@code budget_alert}). Stored in JobRunr's tables by
 * class name: never rename or change it; add a V2 instead.
 *
 * @param periodStart the period's start, ISO-8601 instant
 * @param threshold   the threshold as a plain decimal ({@code 0.8})
 */
public record BudgetAlertRequest(String budgetName, String periodStart, String threshold) implements JobRequest {
    @Override
    public Class<BudgetAlertJob> getJobRequestHandler() {
        return BudgetAlertJob.class;
    }
}
