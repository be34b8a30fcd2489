package dev.tokenledger.usage;

import org.jobrunr.jobs.lambdas.JobRequestHandler;

/**
 * The {@code usage_write} job: writes one sealed batch to ClickHouse exactly once. Running it again,
 * after a crash at any point, re-sends the same rows under the same deduplication tokens, so a repeat
 * never counts twice. Throwing makes JobRunr retry with backoff.
 */
public final class UsageWriteJob implements JobRequestHandler<UsageWriteRequestV1> {
    public static final String JOB_KIND = "usage_write";

    private final BatchWriter writer;

    UsageWriteJob(BatchWriter writer) {
        this.writer = writer;
    }

    @Override
    public void run(UsageWriteRequestV1 request) {
        writer.write(request.batchId());
    }
}
