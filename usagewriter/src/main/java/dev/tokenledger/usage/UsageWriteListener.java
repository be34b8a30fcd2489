package dev.tokenledger.usage;

/**
 * Hears how {@code usage_write} jobs end, for metrics. Called on the JobRunr worker thread that ran the
 * job, so it must be quick and must not throw.
 */
public interface UsageWriteListener {
    /**
     * A batch reached ClickHouse and was marked written (counted once per batch, not per attempt).
     *
     * @param events events written (the batch minus dead letters)
     * @param nanos  time the successful attempt took
     */
    void written(long batchId, int events, long nanos);

    /** An attempt failed; JobRunr will retry it (or give up after its retries). */
    void failed(long batchId, RuntimeException error);
}
