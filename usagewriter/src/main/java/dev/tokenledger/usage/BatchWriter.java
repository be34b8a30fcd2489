package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ClickHouseException;
import dev.tokenledger.clickhouse.InsertBatch;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.postgres.schema.tables.records.UsageBatchRecord;
import dev.tokenledger.postgres.schema.tables.records.UsageEventRecord;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.jooq.JSONFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one sealed batch to ClickHouse exactly once, then marks it written in PostgreSQL.
 *
 * <p>Each month of the batch (a ClickHouse partition, hence a block of its own) is one insert whose
 * deduplication token is derived only from the batch's immutable identity: batch id, month, and the
 * ids of any events dead-lettered out of it. A crash anywhere (before the insert, after it but before
 * the written mark, between retries) re-sends the same rows under the same token, and ClickHouse drops
 * the repeat in llm_usage and, through the view, in llm_usage_daily. A retry also first asks ClickHouse
 * which months of the batch are already there, so a retry that comes later than the deduplication
 * window still cannot count twice.
 */
final class BatchWriter {
    private static final Logger LOG = LoggerFactory.getLogger(BatchWriter.class);
    static final String TABLE = "llm_usage";
    static final String PROBE_TABLE = "llm_usage_probe";
    private static final DateTimeFormatter CH_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
            .withZone(ZoneOffset.UTC);
    private static final String MONTHS_PRESENT = """
            SELECT toYYYYMM(event_time) AS month, count() AS events
            FROM llm_usage
            WHERE batch_id = {batch:UInt64}
              AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time <= {to:DateTime64(3, 'UTC')}
            GROUP BY month""";

    private final BatchStore store;
    private final ClickHouse clickHouse;
    private final EventPricer pricer;
    private final InstantSource clock;
    private final WriteListener listener;
    private volatile RecentEvents recent; // events this process committed lately; null: always read PostgreSQL
    private final java.util.concurrent.atomic.LongAdder fromMemory = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder fromPostgres = new java.util.concurrent.atomic.LongAdder();

    /** Hooks for metrics: what was written, and how long it took. */
    interface WriteListener {
        void written(long batchId, int events, long nanos);

        void failed(long batchId, RuntimeException error);

        WriteListener NONE = new WriteListener() {
            @Override
            public void written(long batchId, int events, long nanos) {
            }

            @Override
            public void failed(long batchId, RuntimeException error) {
            }
        };
    }

    BatchStore store() {
        return store;
    }

    BatchWriter(BatchStore store, ClickHouse clickHouse, EventPricer pricer, InstantSource clock,
                WriteListener listener) {
        this.store = store;
        this.clickHouse = clickHouse;
        this.pricer = pricer;
        this.clock = clock;
        this.listener = listener;
    }

    /** Takes batches from {@code events} when all their rows are there (see {@link RecentEvents}). */
    void readFrom(RecentEvents events) {
        events.enable();
        this.recent = events;
    }

    long batchesReadFromMemory() {
        return fromMemory.sum();
    }

    long batchesReadFromPostgres() {
        return fromPostgres.sum();
    }

    void write(long batchId) {
        long started = System.nanoTime();
        UsageBatchRecord batch = store.batch(batchId);
        if (batch.getWrittenAt() != null) {
            LOG.debug("usage batch {} is already written", batchId);
            RecentEvents events = recent;
            if (events != null) {
                events.remove(batch.getAfterTx(), batch.getAfterSeq(), batch.getLastTx(), batch.getLastSeq());
            }
            return;
        }
        int previousAttempts = store.startAttempt(batchId);
        try {
            List<PricedEvent> written = writeToClickHouse(batch, previousAttempts);
            boolean marked = store.markWritten(batchId, written, clock.instant());
            RecentEvents events = recent;
            if (events != null) {
                events.remove(batch.getAfterTx(), batch.getAfterSeq(), batch.getLastTx(), batch.getLastSeq());
            }
            if (marked) {
                listener.written(batchId, written.size(), System.nanoTime() - started);
            }
        } catch (RuntimeException e) {
            listener.failed(batchId, e);
            try {
                store.recordFailure(batchId, e.toString());
            } catch (RuntimeException recordError) {
                e.addSuppressed(recordError);
            }
            throw e;
        }
    }

    private List<PricedEvent> writeToClickHouse(UsageBatchRecord batch, int previousAttempts) {
        long batchId = batch.getBatchId();
        List<BatchStore.StoredEvent> rows = fromMemory(batch);
        if (rows == null) {
            rows = store.events(batch);
            fromPostgres.increment();
        } else {
            fromMemory.increment();
        }
        if (rows.size() != batch.getEventCount()) {
            throw new IllegalStateException("usage batch " + batchId + " should hold " + batch.getEventCount()
                    + " events but " + rows.size() + " are in usage_event: events were removed before being"
                    + " written; not writing a partial batch");
        }
        Instant ingestedAt = batch.getSealedAt().toInstant().truncatedTo(ChronoUnit.MILLIS);
        Set<UUID> deadLettered = store.deadLetters(batchId);
        Map<UUID, String> invalid = new LinkedHashMap<>();
        Map<Integer, List<PricedEvent>> byMonth = new TreeMap<>();
        for (BatchStore.StoredEvent r : rows) {
            if (deadLettered.contains(r.eventId())) {
                continue;
            }
            if (r.event() == null) {
                invalid.put(r.eventId(), r.invalid());
                continue;
            }
            UsageEvent event = r.event();
            byMonth.computeIfAbsent(month(event.eventTime()), m -> new ArrayList<>())
                    .add(new PricedEvent(event, pricer.price(event)));
        }
        if (!invalid.isEmpty()) {
            LOG.warn("usage batch {}: {} stored event(s) fail validation and are dead-lettered", batchId, invalid.size());
            Map<UUID, UsageEventRecord> records = store.records(invalid.keySet());
            List<BatchStore.DeadLetter> letters = new ArrayList<>();
            invalid.forEach((id, error) -> letters.add(deadLetter(records.get(id), error, null)));
            store.addDeadLetters(batchId, letters, clock.instant());
            deadLettered.addAll(invalid.keySet());
        }

        Map<Integer, Set<UUID>> excludedByMonth = new HashMap<>();
        for (BatchStore.StoredEvent r : rows) {
            if (deadLettered.contains(r.eventId())) {
                excludedByMonth.computeIfAbsent(month(r.eventTime()), m -> new HashSet<>()).add(r.eventId());
            }
        }

        Map<Integer, Long> present = previousAttempts > 0 ? monthsPresent(batch) : Map.of();
        List<PricedEvent> written = new ArrayList<>(rows.size());
        for (Map.Entry<Integer, List<PricedEvent>> month : byMonth.entrySet()) {
            List<PricedEvent> monthRows = month.getValue();
            if (present.getOrDefault(month.getKey(), 0L) == monthRows.size()) {
                LOG.info("usage batch {} month {}: already in ClickHouse from an earlier attempt", batchId,
                        month.getKey());
                written.addAll(monthRows);
                continue;
            }
            Set<UUID> excluded = excludedByMonth.computeIfAbsent(month.getKey(), m -> new HashSet<>());
            written.addAll(insertMonth(batchId, month.getKey(), monthRows, excluded, ingestedAt));
        }
        return written;
    }

    /** The batch's rows from {@link RecentEvents} if every one of them is there, else null. */
    List<BatchStore.StoredEvent> fromMemory(UsageBatchRecord batch) {
        RecentEvents events = recent;
        if (events == null) {
            return null;
        }
        List<UsageEvent> found = events.range(batch.getAfterTx(), batch.getAfterSeq(), batch.getLastTx(),
                batch.getLastSeq(), batch.getEventCount());
        if (found == null) {
            return null;
        }
        List<BatchStore.StoredEvent> rows = new ArrayList<>(found.size());
        for (UsageEvent e : found) {
            rows.add(new BatchStore.StoredEvent(e.eventId(), e.eventTime(), e, null));
        }
        return rows;
    }

    /** Inserts one month; a row ClickHouse rejects is isolated into the dead-letter table and the rest written. */
    private List<PricedEvent> insertMonth(long batchId, int month, List<PricedEvent> monthRows, Set<UUID> excluded,
                                          Instant ingestedAt) {
        try {
            insert(batchId, month, monthRows, excluded, ingestedAt);
            return monthRows;
        } catch (ClickHouseException e) {
            if (!DataErrors.isDataError(e)) {
                throw e;
            }
            List<PricedEvent> poison = new PoisonFinder(clickHouse, batchId, ingestedAt).find(monthRows);
            if (poison.isEmpty()) {
                throw e; // the whole month passes on its own: not a data problem after all
            }
            LOG.warn("usage batch {} month {}: ClickHouse rejects {} row(s); dead-lettering them and writing the"
                    + " other {}: {}", batchId, month, poison.size(), monthRows.size() - poison.size(), e.getMessage());
            Map<UUID, UsageEventRecord> byId = store.records(BatchStore.ids(poison));
            List<BatchStore.DeadLetter> letters = new ArrayList<>();
            for (PricedEvent p : poison) {
                letters.add(deadLetter(byId.get(p.event().eventId()), e.getMessage(),
                        e.code().isPresent() ? e.code().getAsInt() : null));
                excluded.add(p.event().eventId());
            }
            store.addDeadLetters(batchId, letters, clock.instant());
            List<PricedEvent> rest = new ArrayList<>(monthRows);
            rest.removeAll(poison);
            if (!rest.isEmpty()) {
                insert(batchId, month, rest, excluded, ingestedAt);
            }
            return rest;
        }
    }

    private void insert(long batchId, int month, List<PricedEvent> rows, Set<UUID> excluded, Instant ingestedAt) {
        byte[] data = UsageRows.encode(rows, batchId, ingestedAt);
        clickHouse.insert(new InsertBatch(TABLE, data, rows.size(), token(batchId, month, excluded)));
    }

    /**
     * The deduplication token names immutable content: the batch, the month, and which of the month's
     * events were excluded as dead letters (so a different row set never reuses a token).
     */
    static String token(long batchId, int month, Set<UUID> excluded) {
        List<String> out = new ArrayList<>();
        for (UUID id : excluded) {
            out.add(id.toString());
        }
        String base = "tokenledger/usage_write/v1/batch-" + batchId + "/" + month;
        if (out.isEmpty()) {
            return base;
        }
        out.sort(null);
        return base + "/without-" + sha256(String.join(",", out)).substring(0, 16);
    }

    private Map<Integer, Long> monthsPresent(UsageBatchRecord batch) {
        Map<Integer, Long> present = new HashMap<>();
        List<Row> rows = clickHouse.query(MONTHS_PRESENT, Map.of(
                "batch", Long.toString(batch.getBatchId()),
                "from", CH_TIME.format(batch.getMinEventTime().toInstant()),
                "to", CH_TIME.format(batch.getMaxEventTime().toInstant())));
        for (Row r : rows) {
            present.put((int) r.int64("month"), r.int64("events"));
        }
        return present;
    }

    static int month(Instant t) {
        ZonedDateTime z = t.atZone(ZoneOffset.UTC);
        return z.getYear() * 100 + z.getMonthValue();
    }

    private static BatchStore.DeadLetter deadLetter(UsageEventRecord r, String error, Integer code) {
        String payload = r.formatJSON(JSONFormat.DEFAULT_FOR_RECORDS.recordFormat(JSONFormat.RecordFormat.OBJECT)
                .header(false));
        return new BatchStore.DeadLetter(r.getEventId(), r.getEventTime().toInstant(), error, code, payload);
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
