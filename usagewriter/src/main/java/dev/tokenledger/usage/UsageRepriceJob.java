package dev.tokenledger.usage;

import org.jobrunr.jobs.context.JobDashboardProgressBar;
import org.jobrunr.jobs.lambdas.JobRequestHandler;

/**
 * The {@code usage_reprice} job: one reprice run, a chunk at a time, with its progress in JobRunr's dashboard.
 * Throwing (another run works, ClickHouse is away) makes JobRunr retry it; it resumes at its first chunk not done.
 */
public final class UsageRepriceJob implements JobRequestHandler<UsageRepriceRequestV1> {
    public static final String JOB_KIND = "usage_reprice";

    private final Repricer repricer;

    UsageRepriceJob(Repricer repricer) {
        this.repricer = repricer;
    }

    @Override
    public void run(UsageRepriceRequestV1 request) {
        Repricer.Run run = repricer.find(request.runId())
                .orElseThrow(() -> new IllegalArgumentException("no reprice run " + request.runId()));
        // The run counts its events when it starts; the bar follows the events examined (at least 1 long).
        JobDashboardProgressBar[] progress = new JobDashboardProgressBar[1];
        long[] examined = {run.eventsExamined()};
        repricer.run(request.runId(), n -> {
            if (progress[0] == null) {
                long total = repricer.find(request.runId()).map(Repricer.Run::eventsInRange).orElse(0L);
                progress[0] = jobContext().progressBar(Math.max(1, total));
            }
            examined[0] += n;
            progress[0].setProgress(examined[0]);
        });
    }
}
