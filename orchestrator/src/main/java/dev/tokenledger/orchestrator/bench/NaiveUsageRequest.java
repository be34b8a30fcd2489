package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.usage.UsageEvent;
import org.jobrunr.jobs.lambdas.JobRequest;

/** The naive design's job argument: one whole usage event per JobRunr job (the benchmarks' baseline only). */
public record NaiveUsageRequest(UsageEvent event) implements JobRequest {
    @Override
    public Class<NaiveUsageJob> getJobRequestHandler() {
        return NaiveUsageJob.class;
    }
}
