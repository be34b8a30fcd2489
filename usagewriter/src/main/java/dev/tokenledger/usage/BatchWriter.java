package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ClickHouseException;
import dev.tokenledger.clickhouse.ClickHouseTopology;
import dev.tokenledger.clickhouse.InsertBatch;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.postgres.schema.tables.records.UsageBatchRecord;
import dev.tokenledger.postgres.schema.tables.records.UsageEventRecord;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;
import org.jooq.JSONFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one sealed batch to ClickHouse exactly once, then marks it written in PostgreSQL with what became of
 * each of its events.
 *
 * <p>Each month of the batch (a ClickHouse partition, hence a block of its own) is one insert whose
 * deduplication token is derived only from the batch's immutable identity (see {@link #token}). A crash anywhere
 * (before the insert, after it but before the written mark, between retries) re-sends the same rows under the
 * same token, and ClickHouse drops the repeat in llm_usage and, through the view, in llm_usage_daily. A retry
 * also first asks ClickHouse which months of the batch are already there, so a retry that comes later than the
 * deduplication window still cannot count twice. Events llm_usage already holds from an earlier batch (sent
 * again after the idempotency window) are left out as late duplicates.
 *
 * <p>An attempt holds its months locked (shared, {@link MonthLocks}) from before it looks at the batch until the
 * written mark, so a rollup repair of one of those months never runs in between.
 */
final class BatchWriter {
    private static final Logger LOG = LoggerFactory.getLogger(BatchWriter.class);
    static final String TABLE = "llm_usage";
    static final String PROBE_TABLE = "llm_usage_probe";
    private static final DateTimeFormatter CH_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
            .withZone(ZoneOffset.UTC);
    /** Which months of this batch arrived: served by llm_usage's by_batch projection (V5), not a scan. */
    static final String MONTHS_PRESENT = """
            SELECT toYYYYMM(event_time) AS month, count() AS events
            FROM llm_usage
            WHERE batch_id = {batch:UInt64} AND ingested_at = {ingested:DateTime64(3, 'UTC')}
              AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time <= {to:DateTime64(3, 'UTC')}
            GROUP BY month""";
    /**
     * How many blocks llm_usage took after the oldest part holding this batch's month: an upper bound on
     * the inserts since that month was written (every insert takes a new block number; merges keep theirs).
     */
    private static final String BLOCKS_SINCE = """
            SELECT
                (SELECT max(max_block_number) FROM system.parts
                  WHERE database = currentDatabase() AND table = 'llm_usage') AS newest,
                (SELECT min(min_block_number) FROM system.parts
                  WHERE database = currentDatabase() AND table = 'llm_usage' AND active
                    AND name IN (SELECT _part FROM llm_usage
                                  WHERE batch_id = {batch:UInt64} AND ingested_at = {ingested:DateTime64(3, 'UTC')}
                                    AND toYYYYMM(event_time) = {month:UInt32}
                                    AND event_time >= {from:DateTime64(3, 'UTC')}
                                    AND event_time <= {to:DateTime64(3, 'UTC')})) AS ours""";
    /**
     * A month already in llm_usage is sent again (same rows, same token) only while its token is surely
     * still remembered: fewer inserts than half of non_replicated_deduplication_window (10,000 on llm_usage
     * and llm_usage_daily, see V1 and V2) have landed since.
     */
    static final long RESEND_WITHIN_INSERTS = 5_000;
    /** How long an attempt waits for its months while a rollup repair rebuilds one of them (seconds, usually). */
    static final Duration MONTH_LOCK_WAIT = Duration.ofMinutes(5);

    private final BatchStore store;
    private final ClickHouse clickHouse;
    private final EventPricer pricer;
    private final LedgerIdentity identity;
    private final LateDuplicates lateDuplicates;
    private final InstantSource clock;
    private final UsageWriteListener listener;
    private final WriteOutcomes outcomes;
    private volatile long resendWithinInserts = RESEND_WITHIN_INSERTS;
    private volatile Boolean distributedUsage; // null until first needed
    private volatile RecentEvents recent; // events this process committed lately; null: always read PostgreSQL
    private final LongAdder fromMemory = new LongAdder();
    private final LongAdder fromPostgres = new LongAdder();

    /** How attempts end, for the writer's own recovery (the retry nudge, outage-aware sealing). */
    interface WriteOutcomes {
        /** An attempt wrote its batch; {@code previousAttempts} came before it. */
        void succeeded(int previousAttempts);

        /** An attempt failed (it throws, so JobRunr retries it). */
        void failed();

        WriteOutcomes NONE = new WriteOutcomes() {
            @Override
            public void succeeded(int previousAttempts) {
            }

            @Override
            public void failed() {
            }
        };
    }

    BatchStore store() {
        return store;
    }

    BatchWriter(BatchStore store, ClickHouse clickHouse, EventPricer pricer, LedgerIdentity identity,
                Duration idempotencyWindow, InstantSource clock, UsageWriteListener listener, WriteOutcomes outcomes) {
        this.store = store;
        this.clickHouse = clickHouse;
        this.pricer = pricer;
        this.identity = identity;
        this.lateDuplicates = new LateDuplicates(clickHouse, idempotencyWindow);
        this.clock = clock;
        this.listener = listener;
        this.outcomes = outcomes;
    }

    /** For tests: as if more inserts than {@code n} always landed between two attempts. */
    void resendWithinInserts(long n) {
        this.resendWithinInserts = n;
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
            forget(batch);
            return;
        }
        try (MonthLocks locks = store.lockMonths(months(batch), true, MONTH_LOCK_WAIT)) {
            batch = store.batch(batchId); // again, now that no repair of its months can run
            if (batch.getWrittenAt() != null) {
                forget(batch);
                return;
            }
            identity.requireMatch();
            int previousAttempts = store.startAttempt(batchId);
            BatchTally tally = writeToClickHouse(batch, previousAttempts);
            boolean marked = store.markWritten(batchId, tally, clock.instant());
            forget(batch);
            if (marked) {
                listener.written(batchId, Math.toIntExact(tally.written()), System.nanoTime() - started);
                outcomes.succeeded(previousAttempts);
            }
        } catch (RuntimeException e) {
            listener.failed(batchId, e);
            outcomes.failed();
            try {
                store.recordFailure(batchId, e.toString());
            } catch (RuntimeException recordError) {
                e.addSuppressed(recordError);
            }
            throw e;
        }
    }

    /** The batch is written: its events need not stay in memory. */
    private void forget(UsageBatchRecord batch) {
        RecentEvents events = recent;
        if (events != null) {
            events.remove(batch.getAfterTx(), batch.getAfterSeq(), batch.getLastTx(), batch.getLastSeq());
        }
    }

    /** The months (ClickHouse partitions, yyyymm) a batch's events fall in, from its first event to its last. */
    static List<Integer> months(UsageBatchRecord batch) {
        List<Integer> out = new ArrayList<>();
        ZonedDateTime m = batch.getMinEventTime().toInstant().atZone(ZoneOffset.UTC).withDayOfMonth(1)
                .truncatedTo(ChronoUnit.DAYS);
        Instant last = batch.getMaxEventTime().toInstant();
        while (!m.toInstant().isAfter(last)) {
            out.add(month(m.toInstant()));
            m = m.plusMonths(1);
        }
        return out;
    }

    private BatchTally writeToClickHouse(UsageBatchRecord batch, int previousAttempts) {
        long batchId = batch.getBatchId();
        List<BatchStore.StoredEvent> rows = fromMemory(batch);
        if (rows != null && store.anyErased(rows)) {
            rows = null; // an erasure removed some of them from usage_event after this process recorded them
        }
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
        Instant sealedAt = batch.getSealedAt().toInstant();
        Instant ingestedAt = sealedAt.truncatedTo(ChronoUnit.MILLIS);
        Set<UUID> deadLettered = store.deadLetters(batchId);
        Set<UUID> duplicates = store.duplicates(batchId);
        Map<UUID, String> invalid = new LinkedHashMap<>();
        List<UsageEvent> valid = new ArrayList<>(rows.size());
        for (BatchStore.StoredEvent r : rows) {
            if (deadLettered.contains(r.eventId())) {
                continue;
            }
            if (r.event() == null) {
                invalid.put(r.eventId(), r.invalid());
                continue;
            }
            valid.add(r.event());
        }
        if (!invalid.isEmpty()) {
            LOG.warn("usage batch {}: {} stored event(s) fail validation and are dead-lettered", batchId, invalid.size());
            Map<UUID, UsageEventRecord> records = store.records(invalid.keySet());
            List<BatchStore.DeadLetter> letters = new ArrayList<>();
            invalid.forEach((id, error) -> letters.add(deadLetter(records.get(id), error, null)));
            store.addDeadLetters(batchId, letters, clock.instant());
            deadLettered.addAll(invalid.keySet());
        }
        findLateDuplicates(batch, valid, duplicates, ingestedAt, sealedAt);

        Map<Integer, List<PricedEvent>> byMonth = new TreeMap<>();
        for (UsageEvent event : valid) {
            if (!duplicates.contains(event.eventId())) {
                byMonth.computeIfAbsent(month(event.eventTime()), m -> new ArrayList<>())
                        .add(new PricedEvent(event, pricer.price(event)));
            }
        }
        Map<Integer, Set<UUID>> excludedByMonth = new HashMap<>();
        for (BatchStore.StoredEvent r : rows) {
            if (deadLettered.contains(r.eventId()) || duplicates.contains(r.eventId())) {
                excludedByMonth.computeIfAbsent(month(r.eventTime()), m -> new HashSet<>()).add(r.eventId());
            }
        }

        Map<Integer, Long> present = previousAttempts > 0 ? monthsPresent(batch) : Map.of();
        List<PricedEvent> written = new ArrayList<>(rows.size());
        Map<Integer, SentMonth> sent = new TreeMap<>();
        for (Map.Entry<Integer, List<PricedEvent>> month : byMonth.entrySet()) {
            List<PricedEvent> monthRows = month.getValue();
            Set<UUID> excluded = excludedByMonth.computeIfAbsent(month.getKey(), m -> new HashSet<>());
            if (present.getOrDefault(month.getKey(), 0L) == monthRows.size()) {
                // In llm_usage from an earlier attempt, but llm_usage_daily may lack it: the view writes its own
                // part after the table's, so a server that died in between (or a failing view) left the rollup
                // short. While the token is surely remembered, the same block goes again: llm_usage drops it,
                // the view (deduplicate_blocks_in_dependent_materialized_views) writes only what it lacks. Past
                // that, or when the view's own token outlived its part, the scheduled reconcile rebuilds the month.
                if (tokenStillRemembered(batch, month.getKey())) {
                    insert(batch, month.getKey(), monthRows, excluded, ingestedAt);
                    LOG.info("usage batch {} month {}: already in llm_usage from an earlier attempt; sent again under"
                            + " its token so the rollup has it too", batchId, month.getKey());
                } else {
                    LOG.warn("usage batch {} month {}: already in llm_usage from an attempt too long ago to send it"
                            + " again safely; the scheduled reconcile rebuilds the rollups if they lack it", batchId,
                            month.getKey());
                }
                written.addAll(monthRows);
                continue;
            }
            List<PricedEvent> inserted = insertMonth(batch, month.getKey(), monthRows, excluded, deadLettered,
                    ingestedAt);
            sent.put(month.getKey(), new SentMonth(inserted, excluded));
            written.addAll(inserted);
        }
        verifyArrived(batch, sent, ingestedAt);
        return tally(batchId, rows, written, deadLettered, duplicates);
    }

    /**
     * Events llm_usage already holds from an earlier batch (sent again after the idempotency window): recorded in
     * PostgreSQL before the insert that leaves them out, so every later attempt leaves out the same ones (and so
     * sends the same token). Adds them to {@code duplicates}.
     */
    private void findLateDuplicates(UsageBatchRecord batch, List<UsageEvent> valid, Set<UUID> duplicates,
                                    Instant ingestedAt, Instant sealedAt) {
        List<UsageEvent> unchecked = new ArrayList<>(valid.size());
        for (UsageEvent e : valid) {
            if (!duplicates.contains(e.eventId())) {
                unchecked.add(e);
            }
        }
        List<LateDuplicates.Found> found = lateDuplicates.find(unchecked, batch.getBatchId(), ingestedAt, sealedAt);
        if (!found.isEmpty()) {
            LOG.warn("usage batch {}: {} event(s) are already in llm_usage from an earlier batch (sent again after the"
                    + " idempotency window); recorded as late duplicates, not written again", batch.getBatchId(),
                    found.size());
            store.addDuplicates(batch.getBatchId(), found, clock.instant());
            found.forEach(f -> duplicates.add(f.eventId()));
        }
    }

    /** What became of every event: written, dead-lettered or a late duplicate, each exactly one of them. */
    private static BatchTally tally(long batchId, List<BatchStore.StoredEvent> rows, List<PricedEvent> written,
                                    Set<UUID> deadLettered, Set<UUID> duplicates) {
        BatchTally tally = new BatchTally();
        for (BatchStore.StoredEvent r : rows) {
            tally.accepted(r.eventTime());
            if (deadLettered.contains(r.eventId())) {
                tally.deadLettered(r.eventTime());
            } else if (duplicates.contains(r.eventId())) {
                tally.duplicate(r.eventTime());
            }
        }
        written.forEach(tally::written);
        long accounted = tally.days().values().stream()
                .mapToLong(d -> d.written() + d.deadLettered + d.duplicates).sum();
        if (accounted != rows.size()) {
            throw new IllegalStateException("usage batch " + batchId + ": " + rows.size() + " events but " + accounted
                    + " accounted for (written, dead-lettered, late duplicates); not marking it written");
        }
        return tally;
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

    /** What one insert sent: the rows (dead letters and duplicates excluded) and the excluded ids its token names. */
    private record SentMonth(List<PricedEvent> rows, Set<UUID> excluded) {
    }

    /**
     * Checks that every month ClickHouse acknowledged is in llm_usage. A month that is not was dropped as a
     * duplicate of its own token: ClickHouse wrote the token to its deduplication log, then died before it
     * committed the part (SIGKILL between the two, seen in the ClickHouse-crash chaos scenario), and drops
     * every re-send since. Its rows then go into llm_usage directly, without passing the materialized view
     * again: the view either committed them before the crash or took them from the insert just made (it keeps
     * its own deduplication log); if the view lost them the same way, the scheduled reconcile rebuilds it.
     */
    private void verifyArrived(UsageBatchRecord batch, Map<Integer, SentMonth> sent, Instant ingestedAt) {
        if (sent.values().stream().allMatch(m -> m.rows().isEmpty())) {
            return;
        }
        Map<Integer, Long> present = monthsPresent(batch);
        for (Map.Entry<Integer, SentMonth> month : sent.entrySet()) {
            int expected = month.getValue().rows().size();
            long there = present.getOrDefault(month.getKey(), 0L);
            if (there == expected || expected == 0) {
                continue;
            }
            if (there != 0) {
                throw new IllegalStateException("usage batch " + batch.getBatchId() + " month " + month.getKey()
                        + ": ClickHouse holds " + there + " of its " + expected + " rows after the insert");
            }
            if (distributed()) {
                // A replicated table commits a token with its part in Keeper: no token without its part. The read went
                // to a replica that has not fetched the part yet; the retry re-sends under the same token and checks again.
                throw new IllegalStateException("usage batch " + batch.getBatchId() + " month " + month.getKey()
                        + ": the cluster acknowledged the insert but the replica read does not show its rows yet");
            }
            LOG.warn("usage batch {} month {}: ClickHouse acknowledged the insert but holds none of its {} rows (it"
                    + " remembers the token of an insert that died before its part was committed); writing them into {}"
                    + " directly", batch.getBatchId(), month.getKey(), expected, TABLE);
            store.underBatchLock(batch.getBatchId(), () -> {
                if (monthsPresent(batch).getOrDefault(month.getKey(), 0L) == 0) { // not repaired by another attempt
                    attachDirectly(batch, month.getKey(), month.getValue(), ingestedAt);
                }
            });
        }
    }

    /**
     * Writes a month into llm_usage without an insert into it (so without the view): into a table of the same
     * structure first, whose partition is then attached to llm_usage.
     */
    private void attachDirectly(UsageBatchRecord batch, int month, SentMonth sent, Instant ingestedAt) {
        long batchId = batch.getBatchId();
        String staging = TABLE + "_repair_" + batchId + "_" + month;
        clickHouse.execute("DROP TABLE IF EXISTS " + staging);
        clickHouse.execute("CREATE TABLE " + staging + " AS " + TABLE);
        try {
            clickHouse.insert(new InsertBatch(staging, UsageRows.encode(sent.rows(), batchId, ingestedAt),
                    sent.rows().size(), token(batch, month, sent.excluded()) + "/repair"));
            clickHouse.execute("ALTER TABLE " + TABLE + " ATTACH PARTITION ID '" + month + "' FROM " + staging);
        } finally {
            clickHouse.execute("DROP TABLE IF EXISTS " + staging);
        }
    }

    /** Inserts one month; a row ClickHouse rejects is isolated into the dead-letter table and the rest written. */
    private List<PricedEvent> insertMonth(UsageBatchRecord batch, int month, List<PricedEvent> monthRows,
                                          Set<UUID> excluded, Set<UUID> deadLettered, Instant ingestedAt) {
        long batchId = batch.getBatchId();
        try {
            insert(batch, month, monthRows, excluded, ingestedAt);
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
                deadLettered.add(p.event().eventId());
            }
            store.addDeadLetters(batchId, letters, clock.instant());
            List<PricedEvent> rest = new ArrayList<>(monthRows);
            rest.removeAll(poison);
            if (!rest.isEmpty()) {
                insert(batch, month, rest, excluded, ingestedAt);
            }
            return rest;
        }
    }

    private void insert(UsageBatchRecord batch, int month, List<PricedEvent> rows, Set<UUID> excluded,
                        Instant ingestedAt) {
        byte[] data = UsageRows.encode(rows, batch.getBatchId(), ingestedAt);
        clickHouse.insert(new InsertBatch(TABLE, data, rows.size(), token(batch, month, excluded), INSERT_SETTINGS));
    }

    /**
     * One thread per insert (its views included): a batch is small, and on a 2-core machine a multi-threaded
     * insert took both cores from the recorder's commits beside it, which showed as record() latency spikes.
     */
    static final Map<String, String> INSERT_SETTINGS = Map.of("max_threads", "1", "max_insert_threads", "1");

    /**
     * The deduplication token names immutable content: the ledger (installation), the batch (its id and its seal
     * time, so a PostgreSQL restored from a backup, whose ids start again below ids ClickHouse has seen, still
     * makes new tokens), the month, and which of the month's events were left out as dead letters or late
     * duplicates (so a different row set never reuses a token). Batches sealed before V17 (no installation) keep
     * the token they may already have been sent under.
     */
    static String token(UsageBatchRecord batch, int month, Set<UUID> excluded) {
        String base = batch.getInstallationId() == null
                ? "tokenledger/usage_write/v1/batch-" + batch.getBatchId() + "/" + month
                : "tokenledger/usage_write/v2/" + batch.getInstallationId() + "/batch-" + batch.getBatchId() + "@"
                        + batch.getSealedAt().toInstant().toEpochMilli() + "/" + month;
        if (excluded.isEmpty()) {
            return base;
        }
        List<String> out = new ArrayList<>();
        for (UUID id : excluded) {
            out.add(id.toString());
        }
        out.sort(null);
        return base + "/without-" + sha256(String.join(",", out)).substring(0, 16);
    }

    private Map<Integer, Long> monthsPresent(UsageBatchRecord batch) {
        Map<Integer, Long> present = new HashMap<>();
        List<Row> rows = clickHouse.query(MONTHS_PRESENT, Map.of(
                "batch", Long.toString(batch.getBatchId()),
                "ingested", CH_TIME.format(batch.getSealedAt().toInstant()),
                "from", CH_TIME.format(batch.getMinEventTime().toInstant()),
                "to", CH_TIME.format(batch.getMaxEventTime().toInstant())));
        for (Row r : rows) {
            present.put((int) r.int64("month"), r.int64("events"));
        }
        return present;
    }

    /**
     * True while fewer than {@link #resendWithinInserts} inserts landed in llm_usage after this month's part. Never on
     * a ClickHouse cluster: llm_usage is a Distributed table there, its parts are on the month's shard, and a replicated
     * table's window counts the shard's blocks of every month while block numbers count one month's, so no bound here
     * is sure. A month that arrived is then never sent again; a rollup that missed it shows in reconcile.
     */
    private boolean tokenStillRemembered(UsageBatchRecord batch, int month) {
        if (distributed()) {
            return false;
        }
        List<Row> rows = clickHouse.query(BLOCKS_SINCE, Map.of(
                "batch", Long.toString(batch.getBatchId()),
                "ingested", CH_TIME.format(batch.getSealedAt().toInstant()),
                "month", Integer.toString(month),
                "from", CH_TIME.format(batch.getMinEventTime().toInstant()),
                "to", CH_TIME.format(batch.getMaxEventTime().toInstant())));
        long since = rows.getFirst().int64("newest") - rows.getFirst().int64("ours");
        return since >= 0 && since < resendWithinInserts;
    }

    /** Whether llm_usage is a cluster's Distributed table (see ClickHouseTopology): read once, the engine never changes. */
    private boolean distributed() {
        Boolean known = distributedUsage;
        if (known == null) {
            known = ClickHouseTopology.migratedAs(clickHouse, TABLE).clustered();
            distributedUsage = known;
        }
        return known;
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
