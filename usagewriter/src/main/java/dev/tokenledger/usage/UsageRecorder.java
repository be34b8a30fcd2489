package dev.tokenledger.usage;

import java.sql.Connection;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The record API: orchestrator code calls it after every LLM call. Whatever path is taken, an event is
 * durable in PostgreSQL before success is reported, and is then written exactly once to ClickHouse by
 * the usage writer.
 *
 * <ul>
 *   <li>{@link #record(List)}: returns once committed; concurrent callers share one group commit.</li>
 *   <li>{@link #recordAsync(List)}: returns at once with a future for the commit; a bounded buffer
 *       refuses loudly ({@link BufferFullException}) when full.</li>
 *   <li>{@link #record(Connection, List)}: inside the caller's own transaction; rolled back means never written.</li>
 * </ul>
 * An event whose id was recorded before is reported DUPLICATE and changes nothing. An event rejected
 * by a bound is reported REJECTED alone; its neighbours are still recorded.
 */
public final class UsageRecorder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UsageRecorder.class);
    private final RecorderSettings settings;
    private final InstantSource clock;
    private final List<Runnable> onCommitted = new CopyOnWriteArrayList<>();
    private final List<Consumer<List<RecordResult>>> onRecorded = new CopyOnWriteArrayList<>();
    private final GroupCommitter committer;
    private final RecentEvents recent = new RecentEvents(RecentEvents.DEFAULT_CAPACITY);
    private final CommitNotifier notifier;

    UsageRecorder(DataSource dataSource, RecorderSettings settings, InstantSource clock) {
        this.settings = settings;
        this.clock = clock;
        this.notifier = new CommitNotifier(settings.notifyEveryCommit());
        this.committer = new GroupCommitter(dataSource, settings, onCommitted, recent, notifier);
    }

    /**
     * Durable on return. Throws {@link RecordFailedException} if PostgreSQL cannot commit within
     * {@link RecorderSettings#recordTimeout()}: that bound covers the whole call, waiting for room in a full
     * buffer included.
     */
    public List<RecordResult> record(List<UsageEvent> events) {
        return told(commit(events));
    }

    private List<RecordResult> commit(List<UsageEvent> events) {
        long deadline = System.nanoTime() + settings.recordTimeout().toNanos();
        Checked checked = check(events);
        if (checked.candidates.isEmpty()) {
            return checked.merge(List.of());
        }
        if (checked.candidates.size() > settings.maxEventsPerCommit()) {
            // Already a big group on its own: commit it on the caller's thread.
            return checked.merge(resultsFor(checked.candidates, committer.commitNow(distinct(checked.candidates))));
        }
        CompletableFuture<List<RecordResult>> future;
        try {
            future = committer.submit(checked.candidates, deadline - System.nanoTime());
        } catch (BufferFullException e) {
            throw new RecordFailedException("record() timed out waiting for room to commit: " + e.getMessage(), e);
        }
        try {
            // What is left of the one timeout: time spent waiting for room is not granted a second time.
            return checked.merge(future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            throw new RecordFailedException("PostgreSQL did not commit within " + settings.recordTimeout()
                    + "; the events may or may not be durable: retry with the same event ids", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RecordFailedException rfe) {
                throw rfe;
            }
            throw new RecordFailedException("recording failed: " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RecordFailedException("interrupted while waiting for the commit", e);
        }
    }

    public List<RecordResult> record(UsageEvent... events) {
        return record(List.of(events));
    }

    /**
     * Returns at once; the future completes when the events are durable (or fails with
     * {@link RecordFailedException}). Throws {@link BufferFullException} when the buffer stays full.
     */
    public CompletableFuture<List<RecordResult>> recordAsync(List<UsageEvent> events) {
        Checked checked = check(events);
        if (checked.candidates.isEmpty()) {
            return CompletableFuture.completedFuture(told(checked.merge(List.of())));
        }
        if (checked.candidates.size() > settings.bufferEvents()) {
            throw new BufferFullException(checked.candidates.size() + " events exceed the whole record buffer ("
                    + settings.bufferEvents() + "); split them or use record()");
        }
        return committer.submit(checked.candidates, settings.fullBufferWait().toNanos())
                .thenApply(recorded -> told(checked.merge(recorded)));
    }

    /**
     * Records inside the caller's transaction on {@code connection}: the events commit or roll back with
     * the caller's own work. The caller commits.
     */
    public List<RecordResult> record(Connection connection, List<UsageEvent> events) {
        Checked checked = check(events);
        if (checked.candidates.isEmpty()) {
            return told(checked.merge(List.of()));
        }
        try {
            return told(checked.merge(resultsFor(checked.candidates, EventInsert.insert(connection,
                    distinct(checked.candidates)))));
        } catch (java.sql.SQLException e) {
            throw new RecordFailedException("could not record " + checked.candidates.size()
                    + " usage event(s) in the caller's transaction: " + e.getMessage(), e);
        }
    }

    /** What this recorder committed lately (the writer of this process reads batches from it). */
    RecentEvents recentEvents() {
        return recent;
    }

    /**
     * The writer of this process, which {@link #onCommitted} wakes: its own listening session ({@code listenerPid},
     * the backend pid or 0) is then no reason to NOTIFY on commit.
     */
    void localWriter(java.util.function.IntSupplier listenerPid) {
        notifier.localWriter(listenerPid);
    }

    /** Runs after each group commit (the usage writer uses it to wake at once instead of polling). */
    public void onCommitted(Runnable listener) {
        onCommitted.add(listener);
    }

    /**
     * Runs with the results of every record call, whichever variant, on the thread that completes it
     * (metrics count accepted, duplicate and rejected events with it). For
     * {@link #record(Connection, List)} the results are reported before the caller's own commit.
     */
    public void onRecorded(Consumer<List<RecordResult>> listener) {
        onRecorded.add(listener);
    }

    private List<RecordResult> told(List<RecordResult> results) {
        for (Consumer<List<RecordResult>> l : onRecorded) {
            try {
                l.accept(results);
            } catch (RuntimeException e) {
                // The events are durable; a listener's failure must not make the caller believe otherwise.
                LOG.warn("record listener {} failed: {}", l,
                        e.toString());
            }
        }
        return results;
    }

    /** Stops accepting, commits everything already accepted, then returns. */
    @Override
    public void close() {
        committer.close();
    }

    private static List<UsageEvent> distinct(List<UsageEvent> events) {
        List<UsageEvent> out = new ArrayList<>(events.size());
        Set<UUID> seen = new java.util.HashSet<>(events.size() * 2);
        for (UsageEvent e : events) {
            if (seen.add(e.eventId())) {
                out.add(e);
            }
        }
        return out;
    }

    private static List<RecordResult> resultsFor(List<UsageEvent> events, EventInsert.Inserted done) {
        Set<UUID> inserted = done.ids();
        Set<UUID> claimed = new java.util.HashSet<>(inserted.size() * 2);
        List<RecordResult> results = new ArrayList<>(events.size());
        for (UsageEvent e : events) {
            boolean isNew = inserted.contains(e.eventId()) && claimed.add(e.eventId());
            results.add(isNew ? RecordResult.accepted(e.eventId()) : done.erased().contains(e.eventId())
                    ? RecordResult.erased(e.eventId()) : RecordResult.duplicate(e.eventId()));
        }
        return results;
    }

    private Checked check(List<UsageEvent> events) {
        Instant now = clock.instant();
        Instant latest = now.plus(settings.maxFutureSkew());
        Instant earliest = now.atZone(ZoneOffset.UTC).minus(settings.retention()).toInstant();
        List<UsageEvent> candidates = new ArrayList<>(events.size());
        RecordResult[] rejected = new RecordResult[events.size()];
        for (int i = 0; i < events.size(); i++) {
            UsageEvent e = events.get(i);
            if (e.eventTime().isAfter(latest)) {
                rejected[i] = RecordResult.rejected(e.eventId(), List.of(new FieldError("event_time",
                        "must not be more than " + settings.maxFutureSkew() + " in the future, got " + e.eventTime())));
            } else if (e.eventTime().isBefore(earliest)) {
                rejected[i] = RecordResult.rejected(e.eventId(), List.of(new FieldError("event_time",
                        "must be within the retention of " + settings.retention() + " (after " + earliest
                                + "), got " + e.eventTime())));
            } else {
                candidates.add(e);
            }
        }
        return new Checked(candidates, rejected);
    }

    /** Events that passed the time bounds, and where the rejected ones sit in the caller's list. */
    private record Checked(List<UsageEvent> candidates, RecordResult[] rejected) {
        List<RecordResult> merge(List<RecordResult> recorded) {
            List<RecordResult> out = new ArrayList<>(rejected.length);
            int next = 0;
            for (RecordResult r : rejected) {
                out.add(r != null ? r : recorded.get(next++));
            }
            return out;
        }
    }
}
