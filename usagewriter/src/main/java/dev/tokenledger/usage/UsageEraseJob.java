package dev.tokenledger.usage;

import org.jobrunr.jobs.lambdas.JobRequestHandler;

/**
 * The {@code usage_erase} job: one erasure, month by month. Throwing (a month has a half-written batch, ClickHouse
 * is away) makes JobRunr retry it; it resumes at its first month not done.
 */
public final class UsageEraseJob implements JobRequestHandler<UsageEraseRequestV1> {
    public static final String JOB_KIND = "usage_erase";

    private final Eraser eraser;

    UsageEraseJob(Eraser eraser) {
        this.eraser = eraser;
    }

    @Override
    public void run(UsageEraseRequestV1 request) {
        eraser.run(request.erasureId());
    }
}
