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
    private final UsageWriteListener listener;

    BatchWriter(BatchStore store, ClickHouse clickHouse, EventPricer pricer, InstantSource clock,
                UsageWriteListener listener) {
        this.store = store;
        this.clickHouse = clickHouse;
        this.pricer = pricer;
        this.clock = clock;
        this.listener = listener;
    }

    void write(long batchId) {
        long started = System.nanoTime();
        UsageBatchRecord batch = store.batch(batchId);
        if (batch.getWrittenAt() != null) {
            LOG.debug("usage batch {} is already written", batchId);
            return;
        }
        int previousAttempts = store.startAttempt(batchId);
        try {
            List<PricedEvent> written = writeToClickHouse(batch, previousAttempts);
            boolean marked = store.markWritten(batchId, written, clock.instant());
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
        List<UsageEventRecord> rows = store.events(batch);
        if (rows.size() != batch.getEventCount()) {
            throw new IllegalStateException("usage batch " + batchId + " should hold " + batch.getEventCount()
                    + " events but " + rows.size() + " are in usage_event: events were removed before being"
                    + " written; not writing a partial batch");
        }
        Instant ingestedAt = batch.getSealedAt().toInstant().truncatedTo(ChronoUnit.MILLIS);
        Set<UUID> deadLettered = store.deadLetters(batchId);
        List<BatchStore.DeadLetter> invalid = new ArrayList<>();
        Map<Integer, List<PricedEvent>> byMonth = new TreeMap<>();
        for (UsageEventRecord r : rows) {
            if (deadLettered.contains(r.getEventId())) {
                continue;
            }
            UsageEvent event;
            try {
                event = BatchStore.toEvent(r);
            } catch (InvalidUsageEventException e) {
                invalid.add(deadLetter(r, e.getMessage(), null));
                continue;
            }
            byMonth.computeIfAbsent(month(event.eventTime()), m -> new ArrayList<>())
                    .add(new PricedEvent(event, pricer.price(event)));
        }
        if (!invalid.isEmpty()) {
            LOG.warn("usage batch {}: {} stored event(s) fail validation and are dead-lettered", batchId, invalid.size());
            store.addDeadLetters(batchId, invalid, clock.instant());
            invalid.forEach(d -> deadLettered.add(d.eventId()));
        }

        Map<Integer, Set<UUID>> excludedByMonth = new HashMap<>();
        for (UsageEventRecord r : rows) {
            if (deadLettered.contains(r.getEventId())) {
                excludedByMonth.computeIfAbsent(month(r.getEventTime().toInstant()), m -> new HashSet<>())
                        .add(r.getEventId());
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
            written.addAll(insertMonth(batchId, month.getKey(), monthRows, excluded, ingestedAt, rows));
        }
        return written;
    }

    /** Inserts one month; a row ClickHouse rejects is isolated into the dead-letter table and the rest written. */
    private List<PricedEvent> insertMonth(long batchId, int month, List<PricedEvent> monthRows, Set<UUID> excluded,
                                          Instant ingestedAt, List<UsageEventRecord> source) {
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
            Map<UUID, UsageEventRecord> byId = new HashMap<>();
            source.forEach(r -> byId.put(r.getEventId(), r));
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
