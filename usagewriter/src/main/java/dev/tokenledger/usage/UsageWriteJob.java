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
    private final BackgroundPriority priority;
    /** Whether the workers running this job are tokenledger's own (lowered) or a host's (left as they are). */
    private volatile boolean lowerWorker;

    UsageWriteJob(BatchWriter writer, BackgroundPriority priority) {
        this.writer = writer;
        this.priority = priority;
    }

    void lowerWorkers() {
        lowerWorker = true;
    }

    @Override
    public void run(UsageWriteRequestV1 request) {
        if (lowerWorker) {
            priority.lowerCurrentThread();
        }
        writer.write(request.batchId());
    }
}
