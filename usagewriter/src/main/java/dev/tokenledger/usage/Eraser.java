package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ClickHouseTopology;
import dev.tokenledger.clickhouse.Identifiers;
import dev.tokenledger.clickhouse.Row;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import javax.sql.DataSource;
import org.jobrunr.jobs.JobId;
import org.jobrunr.scheduling.JobBuilder;
import org.jobrunr.scheduling.JobRequestScheduler;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Erases a user's usage (optionally only in one workspace) from everywhere the ledger keeps it: PostgreSQL's staging
 * (usage_event, written or not yet) and dead letters, llm_usage, llm_usage_adjustment, and every rollup (each
 * affected month rebuilt exactly from what is left, by {@link RollupRepair}'s mechanism). What it removed is
 * recorded in PostgreSQL without the user id: per month (usage_erasure_month), per day as PostgreSQL's account
 * sees it (usage_erased_day, which {@link Reconciler} subtracts, so reconcile stays clean), and the erased event
 * ids (usage_erased_event: the recorder refuses a re-send of one, {@link RecordResult#erased}).
 *
 * <p>An erasure is a {@code usage_erase} JobRunr job that goes month by month, each under the month's exclusive
 * lock ({@link MonthLocks}: no usage write, reprice chunk or rollup repair in between): it refuses (and JobRunr
 * retries) while a batch or reprice chunk of the month is half-written; then, in one PostgreSQL transaction, counts
 * the user's rows in ClickHouse (of batches up to the last one sealed), deletes their staging rows and dead letters
 * and records all of it (state {@code counted}); then deletes their rows from llm_usage and llm_usage_adjustment
 * ({@code ALTER TABLE … DELETE IN PARTITION … WHERE …} with {@code mutations_sync}); then rebuilds the month's
 * rollups and marks it {@code done}. A crash anywhere resumes at the month's state; every step after the count
 * is idempotent. The user id is kept in usage_erasure only until the erasure is done. On a ClickHouse cluster the
 * deletes run on the local tables {@code ON CLUSTER} and the rollups are rebuilt as {@link RollupRepair} does there.
 *
 * <p>Safe to use from many threads and processes.
 */
public final class Eraser {
    private static final Logger LOG = LoggerFactory.getLogger(Eraser.class);
    /** The sealer's transaction lock (V11's seal_usage_batch): held while staging rows are removed. */
    private static final String SEAL_LOCK = "tokenledger.seal_usage_batch";

    private final DataSource dataSource;
    private final DSLContext db;
    private final ClickHouse clickHouse;
    private final RollupRepair repair;
    private final JobRequestScheduler jobs;
    private final InstantSource clock;
    /** Told each step a month reaches ("counted 202611", "deleted …", "rebuilt …"): the crash tests stop there. */
    volatile java.util.function.Consumer<String> steps = step -> { };

    Eraser(DataSource dataSource, ClickHouse clickHouse, RollupRepair repair, JobRequestScheduler jobs,
           InstantSource clock) {
        this.dataSource = dataSource;
        this.db = DSL.using(dataSource, SQLDialect.POSTGRES);
        this.clickHouse = clickHouse;
        this.repair = repair;
        this.jobs = jobs;
        this.clock = clock;
    }

    /**
     * Whose usage, and why.
     *
     * @param userId      the user
     * @param workspace   only this workspace, or null for all of the user's
     * @param reason      why (kept in the audit; must not name the user)
     * @param requestedBy who asked ({@code cli:<os user>}, ...)
     */
    public record Request(String userId, String workspace, String reason, String requestedBy) {
        public Request {
            if (userId == null || userId.isBlank()) {
                throw new IllegalArgumentException("--user is required");
            }
            if (workspace != null && workspace.isBlank()) {
                workspace = null;
            }
            if (reason == null || reason.isBlank()) {
                throw new IllegalArgumentException("--reason is required (kept in the audit; do not name the user)");
            }
            Objects.requireNonNull(requestedBy, "requestedBy");
        }
    }

    /**
     * What was (or, in a dry run, would be) removed.
     *
     * @param events      rows of llm_usage
     * @param staged      rows of usage_event (written or not)
     * @param unwritten   of those, events not written yet
     * @param deadLetters rows of usage_dead_letter
     * @param adjustments rows of llm_usage_adjustment
     * @param cost        written cost plus adjustments of the events removed from llm_usage (USD)
     * @param months      the months (yyyymm) concerned
     */
    public record Summary(long events, long staged, long unwritten, long deadLetters, long adjustments, BigDecimal cost,
                          List<Integer> months) {
        public boolean nothing() {
            return events == 0 && staged == 0 && deadLetters == 0 && adjustments == 0;
        }
    }

    /** An erasure as the audit holds it: no user id (the user is named only while it is not done). */
    public record Erasure(long erasureId, String requestedBy, String reason, boolean scopedToWorkspace, String status,
                          Instant createdAt, Instant startedAt, Instant finishedAt, String error, int monthsDone,
                          Summary removed) {
    }

    /** Records the erasure and queues its {@code usage_erase} job (or, without JobRunr, leaves it for {@link #run}). */
    public Erasure start(Request request) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        long id = db.insertInto(DSL.table("usage_erasure"))
                .set(DSL.field("requested_by"), request.requestedBy())
                .set(DSL.field("reason"), request.reason())
                .set(DSL.field("user_id"), request.userId())
                .set(DSL.field("workspace_id"), request.workspace())
                .set(DSL.field("scoped_to_workspace"), request.workspace() != null)
                .set(DSL.field("status"), "queued")
                .set(DSL.field("created_at"), now.atOffset(ZoneOffset.UTC))
                .returning(DSL.field("erasure_id", Long.class)).fetchSingle().get("erasure_id", Long.class);
        if (jobs != null) {
            UUID jobId = UUID.nameUUIDFromBytes(("tokenledger/usage_erase/erasure-" + id).getBytes(StandardCharsets.UTF_8));
            JobId queued = jobs.create(JobBuilder.aJob().withId(jobId).withName("usage_erase erasure " + id)
                    .withLabels(UsageEraseJob.JOB_KIND).withJobRequest(new UsageEraseRequestV1(id)));
            db.update(DSL.table("usage_erasure")).set(DSL.field("job_id"), queued.asUUID())
                    .where(DSL.field("erasure_id").eq(id)).execute();
        }
        LOG.info("erasure {} queued by {}: {}", id, request.requestedBy(), request.reason());
        return find(id).orElseThrow();
    }

    /** What an erasure would remove now, without changing anything. */
    public Summary dryRun(Request request) {
        Subject s = new Subject(request.userId(), request.workspace());
        long events = 0;
        long staged = 0;
        long unwritten = 0;
        long dead = 0;
        long adjustments = 0;
        BigDecimal cost = BigDecimal.ZERO;
        List<Integer> months = new ArrayList<>(months(s));
        for (int month : months) {
            Set<UUID> raw = new HashSet<>(rawIds(s, month, Long.MAX_VALUE));
            events += raw.size();
            Map<String, String> p = s.params(month);
            Row r = clickHouse.query("SELECT count() AS n, sum(cost_usd) AS c FROM llm_usage WHERE " + s.where(), p).getFirst();
            cost = cost.add(orZero(r.decimal("c")));
            Row a = clickHouse.query("SELECT count() AS n, sum(cost_usd) AS c FROM llm_usage_adjustment WHERE "
                    + s.where(), p).getFirst();
            adjustments += a.int64("n");
            cost = cost.add(orZero(a.decimal("c")));
            List<UUID> stagedIds = db.select(DSL.field("event_id", UUID.class)).from("usage_event")
                    .where(s.pgWhere(month)).fetch(0, UUID.class);
            List<UUID> deadIds = db.select(DSL.field("event_id", UUID.class)).from("usage_dead_letter")
                    .where(s.deadLetterWhere(month)).fetch(0, UUID.class);
            staged += stagedIds.size();
            dead += deadIds.size();
            unwritten += stagedIds.stream().filter(id -> !raw.contains(id) && !deadIds.contains(id)).count();
        }
        return new Summary(events, staged, unwritten, dead, adjustments, cost, months);
    }

    public Optional<Erasure> find(long erasureId) {
        return Optional.ofNullable(db.select().from("usage_erasure").where(DSL.field("erasure_id").eq(erasureId))
                .fetchOne()).map(this::erasure);
    }

    /** The latest erasures first. */
    public List<Erasure> list(int limit) {
        return db.select().from("usage_erasure").orderBy(DSL.field("erasure_id").desc()).limit(limit).fetch()
                .map(this::erasure);
    }

    /**
     * Works through the erasure's months not done yet (the {@code usage_erase} job's body); resumes where a killed
     * run stopped. Throws (JobRunr retries) while a month has a half-written batch or reprice chunk.
     */
    public Erasure run(long erasureId) {
        Record e = db.select().from("usage_erasure").where(DSL.field("erasure_id").eq(erasureId)).fetchOne();
        if (e == null) {
            throw new IllegalArgumentException("no erasure " + erasureId);
        }
        if ("done".equals(e.get("status", String.class))) {
            return erasure(e);
        }
        Subject s = new Subject(e.get("user_id", String.class), e.get("workspace_id", String.class));
        db.update(DSL.table("usage_erasure")).set(DSL.field("status"), "running")
                .set(DSL.field("started_at"), DSL.coalesce(DSL.field("started_at", java.time.OffsetDateTime.class),
                        DSL.val(clock.instant().atOffset(ZoneOffset.UTC))))
                .setNull(DSL.field("error"))
                .where(DSL.field("erasure_id").eq(erasureId)).execute();
        try {
            TreeSet<Integer> months = new TreeSet<>(months(s));
            months.addAll(db.select(DSL.field("month", Integer.class)).from("usage_erasure_month")
                    .where(DSL.field("erasure_id").eq(erasureId)).fetch(0, Integer.class));
            for (int month : months) {
                db.insertInto(DSL.table("usage_erasure_month")).set(DSL.field("erasure_id"), erasureId)
                        .set(DSL.field("month"), month).set(DSL.field("state"), "pending")
                        .onConflictDoNothing().execute();
            }
            for (int month : months) {
                eraseMonth(erasureId, s, month);
            }
            db.update(DSL.table("usage_erasure")).set(DSL.field("status"), "done")
                    .setNull(DSL.field("user_id")).setNull(DSL.field("workspace_id"))
                    .set(DSL.field("finished_at"), clock.instant().atOffset(ZoneOffset.UTC))
                    .where(DSL.field("erasure_id").eq(erasureId)).execute();
        } catch (RuntimeException ex) {
            db.update(DSL.table("usage_erasure")).set(DSL.field("error"), firstChars(ex.toString()))
                    .where(DSL.field("erasure_id").eq(erasureId)).execute();
            throw ex;
        }
        Erasure done = find(erasureId).orElseThrow();
        LOG.info("erasure {} done: {}", erasureId, done.removed());
        return done;
    }

    /** Whether an erasure has counted the month and not finished it (a reprice run waits for it). */
    static boolean unfinishedIn(DSLContext db, int month) {
        return db.fetchExists(DSL.selectOne().from("usage_erasure_month").where(DSL.field("month").eq(month))
                .and(DSL.field("state").eq("counted")));
    }

    private void eraseMonth(long erasureId, Subject s, int month) {
        if (state(erasureId, month).equals("done")) {
            return;
        }
        try (MonthLocks lock = MonthLocks.acquire(dataSource, List.of(month), false, RollupRepair.LOCK_WAIT)) {
            String state = state(erasureId, month);
            if (state.equals("done")) {
                return;
            }
            if (state.equals("pending")) {
                List<String> half = halfWritten(month);
                if (!half.isEmpty()) {
                    throw new IllegalStateException("erasure " + erasureId + " waits for month " + month + ": " + half
                            + " were attempted and are not written; retried later");
                }
                count(erasureId, s, month);
                steps.accept("counted " + month);
            }
            long lastBatch = db.select(DSL.field("last_batch_id", Long.class)).from("usage_erasure_month")
                    .where(DSL.field("erasure_id").eq(erasureId)).and(DSL.field("month").eq(month)).fetchSingle().value1();
            String filter = s.literalWhere();
            deleteInMonth(Rollups.USAGE, month, filter + " AND batch_id <= " + lastBatch);
            deleteInMonth(Rollups.ADJUSTMENTS, month, filter);
            steps.accept("deleted " + month);
            if (LocalDate.of(month / 100, month % 100, 1).isBefore(Repricer.oldestDay(
                    LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC)))) {
                // Beyond llm_usage's retention nothing can be rebuilt: the user's rows go from the rollups as they are
                // (the month is past reconcile's reach: its raw rows are gone).
                for (String rollup : rollupsByUser()) {
                    deleteInMonth(rollup, month, filter);
                }
            } else {
                RollupRepair.Outcome outcome = repair.repairLocked(month, "erasure " + erasureId);
                if (!outcome.ok()) {
                    throw new IllegalStateException("erasure " + erasureId + " month " + month
                            + ": the rollups could not be rebuilt (" + outcome.detail() + "); retried later");
                }
            }
            steps.accept("rebuilt " + month);
            db.update(DSL.table("usage_erasure_month")).set(DSL.field("state"), "done")
                    .set(DSL.field("done_at"), clock.instant().atOffset(ZoneOffset.UTC))
                    .where(DSL.field("erasure_id").eq(erasureId)).and(DSL.field("month").eq(month)).execute();
        }
    }

    /**
     * Deletes the rows {@code where} picks from one month of a table, rewriting its parts (and their projections) so
     * the writer's presence checks stay true; waits for every replica. On a cluster the mutation runs on the local
     * tables {@code ON CLUSTER}, once per shard: the month's shard rewrites its parts, a shard without the month has
     * nothing to rewrite.
     */
    private void deleteInMonth(String table, int month, String where) {
        ClickHouseTopology topology = ClickHouseTopology.migratedAs(clickHouse, table);
        clickHouse.execute("ALTER TABLE " + Identifiers.quoted(clickHouse.database(), "database") + "."
                + Identifiers.quoted(topology.localTable(table), "table") + topology.onCluster()
                + " DELETE IN PARTITION ID '" + month + "' WHERE " + where + " SETTINGS mutations_sync = 2");
    }

    private String state(long erasureId, int month) {
        return db.select(DSL.field("state", String.class)).from("usage_erasure_month")
                .where(DSL.field("erasure_id").eq(erasureId)).and(DSL.field("month").eq(month)).fetchSingle().value1();
    }

    /**
     * Counts the user's rows of the month in ClickHouse, removes their staging rows and dead letters, and records it
     * all (the days PostgreSQL's account loses, the erased ids, the month's totals): one transaction, under the
     * sealer's lock so no batch is sealed over rows being removed.
     */
    private void count(long erasureId, Subject s, int month) {
        db.transaction(tx -> {
            DSLContext t = tx.dsl();
            t.execute("SELECT pg_advisory_xact_lock(hashtext(?))", SEAL_LOCK);
            Long maxBatch = t.select(DSL.max(DSL.field("batch_id", Long.class))).from("usage_batch").fetchSingle().value1();
            long lastBatch = maxBatch == null ? 0 : maxBatch;
            Map<String, String> p = s.params(month);
            p.put("last", Long.toString(lastBatch));
            List<UUID> raw = rawIds(s, month, lastBatch);
            Set<UUID> rawSet = new HashSet<>(raw);
            Map<LocalDate, Long> replayed = new HashMap<>();
            if (!raw.isEmpty()) {
                for (Record r : t.select(DSL.field("day", LocalDate.class), DSL.count()).from("usage_written_replay")
                        .where(DSL.field("event_id", UUID.class).in(raw)).groupBy(DSL.field("day")).fetch()) {
                    replayed.put(r.get(0, LocalDate.class), r.get(1, Long.class));
                }
            }
            BigDecimal cost = BigDecimal.ZERO;
            long events = 0;
            for (Row d : clickHouse.query("SELECT toString(toDate(event_time)) AS day, "
                    + measures(false) + " FROM llm_usage WHERE " + s.where() + " AND batch_id <= {last:UInt64}"
                    + " GROUP BY day ORDER BY day", p)) {
                LocalDate day = LocalDate.parse(d.string("day"));
                long n = d.decimal(Measure.EVENTS.column()).longValueExact();
                long byBatch = n - replayed.getOrDefault(day, 0L);
                insertDay(t, erasureId, month, day, "written", byBatch, byBatch, 0, d);
                events += n;
                cost = cost.add(d.decimal(Measure.COST_USD.column()));
            }
            long adjustments = 0;
            for (Row d : clickHouse.query("SELECT toString(toDate(event_time)) AS day, count() AS n, "
                    + measures(true) + " FROM llm_usage_adjustment WHERE " + s.where() + " GROUP BY day ORDER BY day", p)) {
                insertDay(t, erasureId, month, LocalDate.parse(d.string("day")), "adjustment", 0, 0, 0, d);
                adjustments += d.int64("n");
                cost = cost.add(d.decimal(Measure.COST_USD.column()));
            }
            Map<LocalDate, Long> deadByDay = new TreeMap<>();
            List<UUID> dead = new ArrayList<>();
            for (Record r : t.deleteFrom(DSL.table("usage_dead_letter")).where(s.deadLetterWhere(month))
                    .returning(DSL.field("event_id", UUID.class), DSL.field("event_time", java.time.OffsetDateTime.class))
                    .fetch()) {
                dead.add(r.get("event_id", UUID.class));
                deadByDay.merge(r.get("event_time", java.time.OffsetDateTime.class).atZoneSameInstant(ZoneOffset.UTC)
                        .toLocalDate(), 1L, Long::sum);
            }
            deadByDay.forEach((day, n) -> insertDay(t, erasureId, month, day, "dead_letter", n, 0, n, null));
            List<UUID> staged = t.deleteFrom(DSL.table("usage_event")).where(s.pgWhere(month))
                    .returning(DSL.field("event_id", UUID.class)).fetch(DSL.field("event_id", UUID.class));
            long unwritten = staged.stream().filter(id -> !rawSet.contains(id) && !dead.contains(id)).count();
            if (unwritten > 0) {
                // Batches sealed and never attempted lose the rows: their count follows (one that loses them all
                // is written, with nothing in it).
                LocalDate first = LocalDate.of(month / 100, month % 100, 1);
                t.execute("UPDATE usage_batch b SET event_count = (SELECT count(*) FROM usage_event e"
                        + " WHERE (e.tx_id, e.seq) > (b.after_tx, b.after_seq) AND (e.tx_id, e.seq) <= (b.last_tx, b.last_seq))"
                        + " WHERE b.written_at IS NULL AND b.attempts = 0 AND b.min_event_time < ?::timestamptz"
                        + " AND b.max_event_time >= ?::timestamptz",
                        first.plusMonths(1).atStartOfDay().atOffset(ZoneOffset.UTC),
                        first.atStartOfDay().atOffset(ZoneOffset.UTC));
                t.execute("UPDATE usage_batch SET written_at = now(), written_events = 0"
                        + " WHERE written_at IS NULL AND attempts = 0 AND event_count = 0");
            }
            Set<UUID> ids = new HashSet<>(raw);
            ids.addAll(dead);
            ids.addAll(staged);
            if (!ids.isEmpty()) {
                t.execute("INSERT INTO usage_erased_event (event_id, erasure_id) SELECT unnest(?::uuid[]), ?"
                        + " ON CONFLICT (event_id) DO NOTHING", ids.toArray(UUID[]::new), erasureId);
            }
            t.update(DSL.table("usage_erasure_month")).set(DSL.field("state"), "counted")
                    .set(DSL.field("last_batch_id"), lastBatch)
                    .set(DSL.field("events_removed"), events)
                    .set(DSL.field("staged_removed"), (long) staged.size())
                    .set(DSL.field("unwritten_removed"), unwritten)
                    .set(DSL.field("dead_letters_removed"), (long) dead.size())
                    .set(DSL.field("adjustments_removed"), adjustments)
                    .set(DSL.field("cost_removed"), cost)
                    .set(DSL.field("counted_at"), clock.instant().atOffset(ZoneOffset.UTC))
                    .where(DSL.field("erasure_id").eq(erasureId)).and(DSL.field("month").eq(month))
                    .and(DSL.field("state").eq("pending")).execute();
        });
    }

    private static void insertDay(DSLContext t, long erasureId, int month, LocalDate day, String kind, long accepted,
                                  long batchWritten, long deadLettered, Row measures) {
        var insert = t.insertInto(DSL.table("usage_erased_day")).set(DSL.field("erasure_id"), erasureId)
                .set(DSL.field("month"), month).set(DSL.field("day"), day).set(DSL.field("kind"), kind)
                .set(DSL.field("accepted_events"), accepted).set(DSL.field("batch_written_events"), batchWritten)
                .set(DSL.field("dead_lettered_events"), deadLettered);
        if (measures != null) {
            for (Measure m : Measure.values()) {
                BigDecimal v = measures.decimal(m.column());
                insert = insert.set(DSL.field(DSL.name(m.column())), v == null ? BigDecimal.ZERO : v);
            }
        }
        insert.execute();
    }

    private static String measures(boolean adjustments) {
        List<String> out = new ArrayList<>();
        for (Measure m : Measure.values()) {
            out.add("toDecimal128(" + (adjustments ? m.adjustmentAggregate() : m.rawAggregate()) + ", 12) AS " + m.column());
        }
        return String.join(", ", out);
    }

    /** The user's event ids in llm_usage in the month, of batches up to {@code lastBatch}. */
    private List<UUID> rawIds(Subject s, int month, long lastBatch) {
        Map<String, String> p = s.params(month);
        p.put("last", Long.toString(Math.min(lastBatch, Long.MAX_VALUE)));
        List<UUID> out = new ArrayList<>();
        for (Row r : clickHouse.query("SELECT toString(event_id) AS id FROM llm_usage WHERE " + s.where()
                + (lastBatch == Long.MAX_VALUE ? "" : " AND batch_id <= {last:UInt64}"), p)) {
            out.add(UUID.fromString(r.string("id")));
        }
        return out;
    }

    /** The months (yyyymm) holding anything of the user, in any store. */
    private TreeSet<Integer> months(Subject s) {
        TreeSet<Integer> out = new TreeSet<>();
        Map<String, String> p = s.params(0);
        for (String table : List.of(Rollups.USAGE, Rollups.ADJUSTMENTS)) {
            for (Row r : clickHouse.query("SELECT DISTINCT toYYYYMM(event_time) AS m FROM " + table + " WHERE "
                    + s.subjectWhere(), p)) {
                out.add((int) r.int64("m"));
            }
        }
        for (String rollup : rollupsByUser()) {
            // Rollups keep 25 months, llm_usage 13: the older months are only there.
            for (Row r : clickHouse.query("SELECT DISTINCT toYYYYMM(day) AS m FROM " + rollup + " WHERE "
                    + s.subjectWhere(), p)) {
                out.add((int) r.int64("m"));
            }
        }
        out.addAll(db.selectDistinct(DSL.field("to_char(event_time AT TIME ZONE 'UTC', 'YYYYMM')::int", Integer.class))
                .from("usage_event").where(s.pgSubject()).fetch(0, Integer.class));
        out.addAll(db.selectDistinct(DSL.field("to_char(event_time AT TIME ZONE 'UTC', 'YYYYMM')::int", Integer.class))
                .from("usage_dead_letter").where(s.deadLetterSubject()).fetch(0, Integer.class));
        return out;
    }

    /** The rollup tables that keep a user_id column (each keeps its rows per user). */
    private List<String> rollupsByUser() {
        List<String> out = new ArrayList<>();
        for (Rollups.Rollup r : Rollups.ALL) {
            if (!clickHouse.query("SELECT name FROM system.columns WHERE database = currentDatabase()"
                    + " AND table = {t:String} AND name = 'user_id'", Map.of("t", r.table())).isEmpty()) {
                out.add(r.table());
            }
        }
        return out;
    }

    /** Batches and reprice chunks of the month attempted and not finished: a retry may still send their blocks. */
    private List<String> halfWritten(int month) {
        LocalDate first = LocalDate.of(month / 100, month % 100, 1);
        List<String> out = new ArrayList<>();
        db.select(DSL.field("batch_id", Long.class)).from("usage_batch")
                .where("written_at IS NULL AND attempts > 0 AND min_event_time < ?::timestamptz AND max_event_time >= ?::timestamptz",
                        first.plusMonths(1).atStartOfDay().atOffset(ZoneOffset.UTC),
                        first.atStartOfDay().atOffset(ZoneOffset.UTC))
                .limit(20).forEach(r -> out.add("batch " + r.value1()));
        db.select(DSL.field("run_id", Long.class), DSL.field("seq", Integer.class)).from("usage_reprice_chunk")
                .where("done_at IS NULL AND attempts > 0 AND month = ?", month)
                .limit(20).forEach(r -> out.add("reprice run " + r.value1() + " chunk " + r.value2()));
        return out;
    }

    private Erasure erasure(Record e) {
        long id = e.get("erasure_id", Long.class);
        Record t = db.select(DSL.count().filterWhere(DSL.field("state").eq("done")),
                        DSL.sum(DSL.field("events_removed", Long.class)), DSL.sum(DSL.field("staged_removed", Long.class)),
                        DSL.sum(DSL.field("unwritten_removed", Long.class)),
                        DSL.sum(DSL.field("dead_letters_removed", Long.class)),
                        DSL.sum(DSL.field("adjustments_removed", Long.class)),
                        DSL.sum(DSL.field("cost_removed", BigDecimal.class)))
                .from("usage_erasure_month").where(DSL.field("erasure_id").eq(id)).and(DSL.field("state").ne("pending"))
                .fetchSingle();
        List<Integer> months = db.select(DSL.field("month", Integer.class)).from("usage_erasure_month")
                .where(DSL.field("erasure_id").eq(id)).and(DSL.field("state").ne("pending"))
                .orderBy(DSL.field("month")).fetch(0, Integer.class);
        Summary removed = new Summary(longOf(t.get(1)), longOf(t.get(2)), longOf(t.get(3)), longOf(t.get(4)),
                longOf(t.get(5)), t.get(6) == null ? BigDecimal.ZERO : new BigDecimal(t.get(6).toString()), months);
        return new Erasure(id, e.get("requested_by", String.class), e.get("reason", String.class),
                e.get("scoped_to_workspace", Boolean.class), e.get("status", String.class),
                instant(e.get("created_at", java.time.OffsetDateTime.class)),
                instant(e.get("started_at", java.time.OffsetDateTime.class)),
                instant(e.get("finished_at", java.time.OffsetDateTime.class)), e.get("error", String.class),
                ((Number) t.get(0)).intValue(), removed);
    }

    private static Instant instant(java.time.OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }

    private static long longOf(Object v) {
        return v == null ? 0 : ((Number) v).longValue();
    }

    private static BigDecimal orZero(BigDecimal v) {
        return v == null ? BigDecimal.ZERO : v;
    }

    private static String firstChars(String s) {
        return s.length() > 2000 ? s.substring(0, 2000) : s;
    }

    /** The user (and workspace) as filters for ClickHouse and PostgreSQL. */
    private record Subject(String user, String workspace) {
        Subject {
            Objects.requireNonNull(user, "the erasure's user id (cleared: the erasure is done)");
        }

        String subjectWhere() {
            return "user_id = {user:String}" + (workspace == null ? "" : " AND workspace_id = {workspace:String}");
        }

        String where() {
            return subjectWhere() + " AND toYYYYMM(event_time) = {month:UInt32}";
        }

        String literalWhere() {
            return "user_id = " + Identifiers.stringLiteral(user)
                    + (workspace == null ? "" : " AND workspace_id = " + Identifiers.stringLiteral(workspace));
        }

        Map<String, String> params(int month) {
            Map<String, String> p = new LinkedHashMap<>();
            p.put("user", user);
            if (workspace != null) {
                p.put("workspace", workspace);
            }
            p.put("month", Integer.toString(month));
            return p;
        }

        org.jooq.Condition pgSubject() {
            org.jooq.Condition c = DSL.field("user_id", String.class).eq(user);
            return workspace == null ? c : c.and(DSL.field("workspace_id", String.class).eq(workspace));
        }

        org.jooq.Condition pgWhere(int month) {
            return pgSubject().and(inMonth(month));
        }

        org.jooq.Condition deadLetterSubject() {
            org.jooq.Condition c = DSL.condition("payload->>'user_id' = ?", user);
            return workspace == null ? c : c.and(DSL.condition("payload->>'workspace_id' = ?", workspace));
        }

        org.jooq.Condition deadLetterWhere(int month) {
            return deadLetterSubject().and(inMonth(month));
        }

        private static org.jooq.Condition inMonth(int month) {
            LocalDate first = LocalDate.of(month / 100, month % 100, 1);
            return DSL.condition("event_time >= ?::timestamptz AND event_time < ?::timestamptz", first.atStartOfDay().atOffset(ZoneOffset.UTC),
                    first.plusMonths(1).atStartOfDay().atOffset(ZoneOffset.UTC));
        }
    }
}
