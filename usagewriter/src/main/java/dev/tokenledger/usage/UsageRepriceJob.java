package dev.tokenledger.usage;

import org.jobrunr.jobs.context.JobDashboardProgressBar;
import org.jobrunr.jobs.lambdas.JobRequestHandler;

/**
 * The {@code usage_reprice} job: one reprice run, a day at a time, with its progress in JobRunr's dashboard.
 * Throwing (another run works, ClickHouse is away) makes JobRunr retry it; it resumes at its first day not done.
 */
public final class UsageRepriceJob implements JobRequestHandler<UsageRepriceRequestV1> {
    public static final String JOB_KIND = "usage_reprice";

    private final Repricer repricer;

    public UsageRepriceJob(Repricer repricer) {
        this.repricer = repricer;
    }

    @Override
    public void run(UsageRepriceRequestV1 request) {
        Repricer.Run run = repricer.find(request.runId())
                .orElseThrow(() -> new IllegalArgumentException("no reprice run " + request.runId()));
        JobDashboardProgressBar progress = jobContext().progressBar(run.days());
        repricer.run(request.runId(), done -> progress.setProgress(done));
    }
}
