package dev.tokenledger.usage;

import java.time.Duration;

/**
 * How events become usage_write jobs.
 *
 * @param maxBatchEvents the most events in one batch (one ClickHouse insert per month it spans)
 * @param linger         the least time between two seals while events keep coming: under load batches
 *                       grow instead of multiplying; an idle system seals the first event at once. 250 ms:
 *                       every batch costs ClickHouse a part (tens of ms of CPU in chDB, then merges), so
 *                       at tens of thousands of events/s bigger batches are cheaper per event, while a
 *                       quarter second keeps freshness under load well inside a second (see BENCHMARKS.md)
 * @param idlePoll       how often the sealer looks even when nothing woke it (a safety net for missed
 *                       notifications and for events held back by a long-running transaction)
 * @param jobRetries     JobRunr retries of a failed usage_write (backoff 3^n s: 10 retries cover ~24.6 h,
 *                       11 cover ~73 h; the service refuses fewer than 10)
 * @param idempotencyWindow how long written events stay in usage_event, so a re-sent event_id is
 *                       recognised as a duplicate
 */
public record WriterSettings(int maxBatchEvents, Duration linger, Duration idlePoll, int jobRetries,
                             Duration idempotencyWindow) {

    public static final WriterSettings DEFAULTS = new WriterSettings(20_000, Duration.ofMillis(250),
            Duration.ofSeconds(1), 11, Duration.ofDays(7));

    public WriterSettings {
        if (maxBatchEvents <= 0) {
            throw new IllegalArgumentException("maxBatchEvents must be positive, got " + maxBatchEvents);
        }
        if (jobRetries < 0) {
            throw new IllegalArgumentException("jobRetries must not be negative, got " + jobRetries);
        }
        if (linger.isNegative() || idlePoll.isNegative() || idlePoll.isZero()) {
            throw new IllegalArgumentException("linger must be >= 0 and idlePoll > 0");
        }
    }

    public WriterSettings withMaxBatchEvents(int n) {
        return new WriterSettings(n, linger, idlePoll, jobRetries, idempotencyWindow);
    }

    public WriterSettings withJobRetries(int retries) {
        return new WriterSettings(maxBatchEvents, linger, idlePoll, retries, idempotencyWindow);
    }

    public WriterSettings withIdempotencyWindow(Duration window) {
        return new WriterSettings(maxBatchEvents, linger, idlePoll, jobRetries, window);
    }
}
