package dev.tokenledger.usage;

import java.time.Duration;
import java.time.Period;

/**
 * How the recorder commits.
 *
 * @param commitThreads       threads committing groups in parallel (one fsync each; two overlap the next
 *                            group's insert with the previous group's flush)
 * @param maxEventsPerCommit  the most events one group commit carries
 * @param bufferEvents        events that may wait for a commit; past it recordAsync() applies the full-buffer policy
 * @param fullBufferWait      how long recordAsync() waits for room before throwing {@link BufferFullException};
 *                            zero fails at once
 * @param recordTimeout       how long record() waits for its commit before failing with {@link RecordFailedException}
 * @param maxFutureSkew       how far in the future an event_time may lie (client clocks drift)
 * @param retention           how far in the past an event_time may lie: ClickHouse's TTL on llm_usage
 * @param notifyEveryCommit   NOTIFY writers on every group commit, as before V29; off (the default), a group commit
 *                            notifies only while a writer of another process listens (the writer of this process is
 *                            woken in memory), which lets PostgreSQL overlap the commits (see BENCHMARKS.md)
 */
public record RecorderSettings(int commitThreads, int maxEventsPerCommit, int bufferEvents, Duration fullBufferWait,
                               Duration recordTimeout, Duration maxFutureSkew, Period retention,
                               boolean notifyEveryCommit) {

    public static final RecorderSettings DEFAULTS = new RecorderSettings(2, 5_000, 200_000, Duration.ofMillis(100),
            Duration.ofSeconds(5), Duration.ofMinutes(5), Period.ofMonths(13));

    /** Settings that notify only writers of other processes (the default). */
    public RecorderSettings(int commitThreads, int maxEventsPerCommit, int bufferEvents, Duration fullBufferWait,
                            Duration recordTimeout, Duration maxFutureSkew, Period retention) {
        this(commitThreads, maxEventsPerCommit, bufferEvents, fullBufferWait, recordTimeout, maxFutureSkew, retention,
                false);
    }

    public RecorderSettings {
        positive("commitThreads", commitThreads);
        positive("maxEventsPerCommit", maxEventsPerCommit);
        if (bufferEvents < maxEventsPerCommit) {
            throw new IllegalArgumentException("bufferEvents (" + bufferEvents + ") must be at least maxEventsPerCommit ("
                    + maxEventsPerCommit + ")");
        }
        if (fullBufferWait.isNegative() || recordTimeout.isNegative() || recordTimeout.isZero()) {
            throw new IllegalArgumentException("fullBufferWait must be >= 0 and recordTimeout > 0");
        }
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    public RecorderSettings withRecordTimeout(Duration timeout) {
        return new RecorderSettings(commitThreads, maxEventsPerCommit, bufferEvents, fullBufferWait, timeout,
                maxFutureSkew, retention, notifyEveryCommit);
    }

    public RecorderSettings withBuffer(int events, Duration wait) {
        return new RecorderSettings(commitThreads, maxEventsPerCommit, events, wait, recordTimeout, maxFutureSkew,
                retention, notifyEveryCommit);
    }

    public RecorderSettings withNotifyEveryCommit(boolean on) {
        return new RecorderSettings(commitThreads, maxEventsPerCommit, bufferEvents, fullBufferWait, recordTimeout,
                maxFutureSkew, retention, on);
    }
}
