package dev.tokenledger.usage;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits the events of many concurrent callers in one transaction, so the durable path pays one
 * fsync per group instead of one per call. A bounded number of events may wait; callers past it get
 * back-pressure or a loud refusal, never a silent drop.
 */
final class GroupCommitter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitter.class);

    private final DataSource dataSource;
    private final int maxEventsPerCommit;
    private final BlockingQueue<Submission> queue = new LinkedBlockingQueue<>();
    private final Semaphore room;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean accepting = new AtomicBoolean(true);
    private final List<Runnable> onCommitted;
    private final RecentEvents recent;
    private final CommitNotifier notifier;

    record Submission(List<UsageEvent> events, CompletableFuture<List<RecordResult>> result) {
    }

    GroupCommitter(DataSource dataSource, RecorderSettings settings, List<Runnable> onCommitted, RecentEvents recent,
                   CommitNotifier notifier) {
        this.dataSource = dataSource;
        this.recent = recent;
        this.notifier = notifier;
        this.maxEventsPerCommit = settings.maxEventsPerCommit();
        this.room = new Semaphore(settings.bufferEvents());
        this.onCommitted = onCommitted;
        for (int i = 0; i < settings.commitThreads(); i++) {
            Thread t = Thread.ofPlatform().name("usage-commit-" + i).daemon(true).start(this::run);
            threads.add(t);
        }
    }

    /** Queues events for the next group; throws {@link BufferFullException} if no room frees up in time. */
    CompletableFuture<List<RecordResult>> submit(List<UsageEvent> events, long waitNanos) {
        if (!accepting.get()) {
            throw new IllegalStateException("the recorder is shut down and accepts no more events");
        }
        boolean acquired;
        try {
            acquired = waitNanos <= 0 ? room.tryAcquire(events.size()) : room.tryAcquire(events.size(), waitNanos,
                    TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BufferFullException("interrupted while waiting for room in the record buffer");
        }
        if (!acquired) {
            throw new BufferFullException("the record buffer is full (" + room.availablePermits()
                    + " event slots free); " + events.size() + " event(s) refused, none dropped: retry later"
                    + " or slow down");
        }
        Submission s = new Submission(events, new CompletableFuture<>());
        queue.add(s);
        return s.result();
    }

    private void run() {
        while (accepting.get() || !queue.isEmpty()) {
            Submission first;
            try {
                first = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (first == null) {
                continue;
            }
            List<Submission> group = new ArrayList<>();
            group.add(first);
            int count = first.events().size();
            Submission next;
            while (count < maxEventsPerCommit && (next = queue.peek()) != null
                    && count + next.events().size() <= maxEventsPerCommit) {
                Submission taken = queue.poll();
                if (taken == null) {
                    break;
                }
                group.add(taken);
                count += taken.events().size();
            }
            commit(group, count);
        }
    }

    private void commit(List<Submission> group, int count) {
        try {
            List<UsageEvent> unique = new ArrayList<>(count);
            Set<UUID> seen = new HashSet<>(count * 2);
            for (Submission s : group) {
                for (UsageEvent e : s.events()) {
                    if (seen.add(e.eventId())) {
                        unique.add(e);
                    }
                }
            }
            EventInsert.Inserted done = commitNow(unique);
            Set<UUID> inserted = done.ids();
            // The first occurrence of an id within the group is the one inserted; later ones are duplicates.
            Set<UUID> claimed = new HashSet<>(inserted.size() * 2);
            for (Submission s : group) {
                List<RecordResult> results = new ArrayList<>(s.events().size());
                for (UsageEvent e : s.events()) {
                    boolean isNew = inserted.contains(e.eventId()) && claimed.add(e.eventId());
                    results.add(isNew ? RecordResult.accepted(e.eventId()) : done.erased().contains(e.eventId())
                            ? RecordResult.erased(e.eventId()) : RecordResult.duplicate(e.eventId()));
                }
                s.result().complete(results);
            }
            onCommitted.forEach(Runnable::run);
            notifier.recheckIfDue(dataSource);
        } catch (RuntimeException | Error e) {
            // Never leave a caller waiting on a group that cannot commit, whatever went wrong.
            LOG.debug("group commit of {} event(s) failed", count, e);
            for (Submission s : group) {
                s.result().completeExceptionally(e instanceof RecordFailedException ? e
                        : new RecordFailedException("could not record " + count + " usage event(s): " + e, e));
            }
        } finally {
            room.release(count);
        }
    }

    /**
     * One transaction on a pooled connection; returns the ids that were new. The insert is a single
     * statement run in autocommit mode: PostgreSQL commits it (WAL flushed, synchronous_commit on) before
     * it reports success, so it is durable when this returns, in one round trip instead of three
     * (BEGIN + INSERT, COMMIT, and the driver's autocommit switch back). It notifies only when a writer of another
     * process listens ({@link CommitNotifier}).
     */
    EventInsert.Inserted commitNow(List<UsageEvent> events) {
        try (Connection c = dataSource.getConnection()) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            EventInsert.Inserted inserted = EventInsert.insertRows(c, events, notifier.notifyOn(c));
            recent.add(inserted.rows()); // committed: the writer may take them from memory
            return inserted;
        } catch (SQLException e) {
            throw new RecordFailedException("could not make " + events.size() + " usage event(s) durable in PostgreSQL: "
                    + e.getMessage(), e);
        }
    }

    /** Stops accepting, commits everything already accepted, and returns when the queue is empty. */
    @Override
    public void close() {
        accepting.set(false);
        for (Thread t : threads) {
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
