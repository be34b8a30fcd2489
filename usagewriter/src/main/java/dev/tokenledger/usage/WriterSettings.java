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
 *                       recognised as a duplicate at once (past it, the writer finds it in llm_usage)
 * @param reconcileInterval how often the {@code usage_reconcile} job checks the months written since its last
 *                       run and rebuilds a rollup month that disagrees with llm_usage
 * @param backPricing    whether a price change (a refresh that adds or changes a model, an override set or ended
 *                       from a past time) queues a {@code usage_reprice} run over the written usage it concerns
 * @param nice           the nice value (0..19; 0 = unchanged) of the embedded ClickHouse engine's threads (its insert
 *                       pipeline and merges: most of the writer's CPU), so that the recorder's commits come first on
 *                       a busy machine (see {@link BackgroundPriority})
 */
public record WriterSettings(int maxBatchEvents, Duration linger, Duration idlePoll, int jobRetries,
                             Duration idempotencyWindow, Duration reconcileInterval, boolean backPricing, int nice) {

    public static final WriterSettings DEFAULTS = new WriterSettings(20_000, Duration.ofMillis(250),
            Duration.ofSeconds(1), 11, Duration.ofDays(7), Duration.ofMinutes(5), true, 10);

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
        if (reconcileInterval.compareTo(Duration.ofSeconds(5)) < 0) {
            throw new IllegalArgumentException("reconcileInterval must be at least 5s (JobRunr's poll), got "
                    + reconcileInterval);
        }
        if (nice < 0 || nice > 19) {
            throw new IllegalArgumentException("nice must be between 0 and 19, got " + nice);
        }
    }

    public WriterSettings withMaxBatchEvents(int n) {
        return new WriterSettings(n, linger, idlePoll, jobRetries, idempotencyWindow, reconcileInterval, backPricing, nice);
    }

    public WriterSettings withLinger(Duration value) {
        return new WriterSettings(maxBatchEvents, value, idlePoll, jobRetries, idempotencyWindow, reconcileInterval,
                backPricing, nice);
    }

    public WriterSettings withJobRetries(int retries) {
        return new WriterSettings(maxBatchEvents, linger, idlePoll, retries, idempotencyWindow, reconcileInterval, backPricing, nice);
    }

    public WriterSettings withIdempotencyWindow(Duration window) {
        return new WriterSettings(maxBatchEvents, linger, idlePoll, jobRetries, window, reconcileInterval, backPricing, nice);
    }

    public WriterSettings withReconcileInterval(Duration interval) {
        return new WriterSettings(maxBatchEvents, linger, idlePoll, jobRetries, idempotencyWindow, interval, backPricing, nice);
    }

    public WriterSettings withBackPricing(boolean on) {
        return new WriterSettings(maxBatchEvents, linger, idlePoll, jobRetries, idempotencyWindow, reconcileInterval,
                on, nice);
    }

    public WriterSettings withNice(int value) {
        return new WriterSettings(maxBatchEvents, linger, idlePoll, jobRetries, idempotencyWindow, reconcileInterval,
                backPricing, value);
    }
}
