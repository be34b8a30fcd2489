package dev.tokenledger.usage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The events this process committed lately, by their drain key {@code (tx_id, seq)}: a hand-off from the
 * recorder to the writer in the same process, so writing a batch does not read back from PostgreSQL rows
 * that were just sent there.
 *
 * <p>Why it cannot change what is written: an entry is added only after its transaction committed, under
 * the key PostgreSQL gave the row, holding the very values the row was inserted from. A batch is taken from
 * here only when every one of its rows is here (as many entries in its key range as the batch's sealed
 * {@code event_count}, and a sealed range never gains rows); they come out in key order, the order
 * {@link BatchStore#events} reads. Otherwise (another process recorded some of the rows, this process
 * restarted, entries were evicted) the writer reads the batch from PostgreSQL as before. Either way the
 * same rows, in the same order, go out under the batch's deduplication token.
 *
 * <p>Bounded: past {@link #capacity} the oldest entries are dropped (a writer that fell far behind reads
 * from PostgreSQL). A batch's entries leave once it is written.
 */
final class RecentEvents {
    /** Enough for a few seconds at the benchmarks' rates; a few hundred bytes per event. */
    static final int DEFAULT_CAPACITY = 100_000;

    record Key(long tx, long seq) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = Long.compare(tx, o.tx);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final ConcurrentSkipListMap<Key, UsageEvent> events = new ConcurrentSkipListMap<>();
    private final AtomicInteger size = new AtomicInteger();
    private final int capacity;
    /** Off until a writer in this process reads from it: a process that only records keeps nothing. */
    private volatile boolean enabled;

    RecentEvents(int capacity) {
        this.capacity = capacity;
    }

    void enable() {
        enabled = true;
    }

    /** Adds rows that committed; {@code inserted} maps each new row's key to the event it was inserted from. */
    void add(Map<Key, UsageEvent> inserted) {
        if (!enabled || inserted.isEmpty()) {
            return;
        }
        events.putAll(inserted);
        int now = size.addAndGet(inserted.size());
        while (now > capacity) {
            Map.Entry<Key, UsageEvent> oldest = events.pollFirstEntry();
            if (oldest == null) {
                size.set(0);
                return;
            }
            now = size.decrementAndGet();
        }
    }

    /**
     * The events of the range {@code (afterTx, afterSeq)} exclusive to {@code (lastTx, lastSeq)} inclusive,
     * in key order, if all {@code expected} of them are here; null otherwise.
     */
    List<UsageEvent> range(long afterTx, long afterSeq, long lastTx, long lastSeq, int expected) {
        ConcurrentNavigableMap<Key, UsageEvent> range = events.subMap(new Key(afterTx, afterSeq), false,
                new Key(lastTx, lastSeq), true);
        List<UsageEvent> out = new ArrayList<>(expected);
        for (UsageEvent e : range.values()) {
            out.add(e);
            if (out.size() > expected) {
                return null;
            }
        }
        return out.size() == expected ? out : null;
    }

    /** Forgets the range (its batch is written). */
    void remove(long afterTx, long afterSeq, long lastTx, long lastSeq) {
        ConcurrentNavigableMap<Key, UsageEvent> range = events.subMap(new Key(afterTx, afterSeq), false,
                new Key(lastTx, lastSeq), true);
        for (Key k; (k = firstKey(range)) != null; ) {
            if (range.remove(k) != null) {
                size.decrementAndGet();
            }
        }
    }

    private static Key firstKey(ConcurrentNavigableMap<Key, UsageEvent> m) {
        Map.Entry<Key, UsageEvent> e = m.firstEntry();
        return e == null ? null : e.getKey();
    }

    int size() {
        return Math.max(0, size.get());
    }
}
