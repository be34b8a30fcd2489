package dev.tokenledger.usage;

import static dev.tokenledger.postgres.schema.Tables.USAGE_REPRICE_DAY;
import static dev.tokenledger.postgres.schema.Tables.USAGE_REPRICE_RUN;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.InsertBatch;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.postgres.schema.tables.records.UsageRepriceRunRecord;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.IntConsumer;
import javax.sql.DataSource;
import org.jobrunr.jobs.JobId;
import org.jobrunr.scheduling.JobBuilder;
import org.jobrunr.scheduling.JobRequestScheduler;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-prices written usage against the price book as it is now (each event at its own event_time, overrides
 * included) and appends an adjustment for every event whose current cost (written cost plus the adjustments
 * before) differs: unpriced to priced, priced to another amount, priced to unpriced. Raw rows are never changed.
 *
 * <p>A run is a {@code usage_reprice} JobRunr job that goes through its range a day at a time. Each day is read
 * back from ClickHouse (the staging copy in PostgreSQL is long purged), priced, and appended to
 * llm_usage_adjustment as one insert under a token naming the ledger, the run, the day and the content; then it is
 * recorded in usage_reprice_day. A day whose adjustments already reached ClickHouse (the run was killed after the
 * insert) is recorded from what ClickHouse holds instead of being sent again, so a run killed anywhere and resumed
 * appends each adjustment exactly once. One run works at a time (a PostgreSQL advisory lock); a second waits.
 * Each day holds its month shared ({@link MonthLocks}) like a usage write, so a rollup repair never interleaves.
 */
public final class Repricer {
    private static final Logger LOG = LoggerFactory.getLogger(Repricer.class);
    /** Advisory lock key held by the run that works now: "urpr". */
    static final int RUN_LOCK = 0x75727072;
    /** llm_usage keeps 13 months: older events cannot be re-priced (they are gone). */
    static final int RAW_MONTHS = 13;
    private static final String ADJUSTMENTS_OF_RUN = """
            SELECT count() AS n FROM llm_usage_adjustment
            WHERE run_id = {run:UInt64}
              AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}""";

    private final DataSource dataSource;
    private final DSLContext db;
    private final ClickHouse clickHouse;
    private final EventPricer pricer;
    private final LedgerIdentity identity;
    private final JobRequestScheduler jobs;
    private final InstantSource clock;

    /**
     * @param jobs where runs are queued as {@code usage_reprice} jobs; null to run them only through {@link #run}
     */
    public Repricer(DataSource dataSource, ClickHouse clickHouse, EventPricer pricer, JobRequestScheduler jobs,
                    InstantSource clock) {
        this.dataSource = dataSource;
        this.db = DSL.using(dataSource, SQLDialect.POSTGRES);
        this.clickHouse = clickHouse;
        this.pricer = pricer;
        this.identity = new LedgerIdentity(dataSource, clickHouse, clock);
        this.jobs = jobs;
        this.clock = clock;
    }

    /** A run as PostgreSQL records it, with its totals over the days done so far. */
    public record Run(long runId, String requestedBy, String reason, LocalDate from, LocalDate to, List<String> models,
                      boolean includeUnpriced, String workspace, String status, Instant createdAt, Instant startedAt,
                      Instant finishedAt, String error, int daysDone, int days, long eventsExamined,
                      long eventsAdjusted, BigDecimal costBefore, BigDecimal costAfter, long unpricedBefore,
                      long unpricedAfter) {
    }

    /** Thrown by {@link #run} while another run holds the lock: nothing was done, try again later. */
    public static final class BusyException extends IllegalStateException {
        BusyException(String message) {
            super(message);
        }
    }

    /** What a range holds and what a run over it would append (a dry run), or appended. */
    public record Summary(long eventsExamined, long eventsAdjusted, BigDecimal costBefore, BigDecimal costAfter,
                          long unpricedBefore, long unpricedAfter) {
        static final Summary EMPTY = new Summary(0, 0, BigDecimal.ZERO, BigDecimal.ZERO, 0, 0);

        Summary plus(Summary o) {
            return new Summary(eventsExamined + o.eventsExamined, eventsAdjusted + o.eventsAdjusted,
                    costBefore.add(o.costBefore), costAfter.add(o.costAfter), unpricedBefore + o.unpricedBefore,
                    unpricedAfter + o.unpricedAfter);
        }
    }

    /**
     * Checks the request (clear message, nothing written, when the range is beyond llm_usage's retention, holds no
     * event, or a model filter names a model no event in it was recorded or priced with), records the run and
     * queues its job.
     */
    public Run start(RepriceRequest request) {
        validate(request);
        return queue(request);
    }

    /**
     * Back-pricing without a person: after a refresh added or changed prices, or an override was set or ended from
     * a past time, re-prices the written events of those models (and, for models new to the book, every event
     * still unpriced) from the change on. Starts nothing, and returns empty, when no written event is concerned.
     */
    public Optional<Run> backPrice(dev.tokenledger.pricing.PriceChange change) {
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        LocalDate oldest = oldestDay(today);
        LocalDate from = change.since() == null ? oldest
                : max(oldest, LocalDate.ofInstant(change.since(), ZoneOffset.UTC));
        RepriceRequest request = new RepriceRequest(from, today, change.models(), change.since() == null, null,
                change.cause(), "back-pricing");
        Map<String, String> p = new LinkedHashMap<>();
        p.put("from", from + " 00:00:00.000");
        p.put("to", today.plusDays(1) + " 00:00:00.000");
        StringBuilder models = new StringBuilder("[");
        for (String m : change.models()) {
            models.append(models.length() > 1 ? "," : "").append(dev.tokenledger.clickhouse.Identifiers.stringLiteral(m));
        }
        p.put("models", models.append("]").toString());
        long concerned = clickHouse.query("SELECT count() AS n FROM llm_usage WHERE event_time >= {from:DateTime64(3, 'UTC')}"
                + " AND event_time < {to:DateTime64(3, 'UTC')} AND (model IN {models:Array(String)}"
                + " OR pricing_model IN {models:Array(String)}" + (change.since() == null ? " OR cost_status = 'unpriced'"
                : "") + ")", p).getFirst().int64("n");
        if (concerned == 0) {
            LOG.info("{}: no written event concerned, nothing to re-price", change.cause());
            return Optional.empty();
        }
        return Optional.of(queue(request));
    }

    private Run queue(RepriceRequest request) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        long runId = db.insertInto(USAGE_REPRICE_RUN)
                .set(USAGE_REPRICE_RUN.REQUESTED_BY, request.requestedBy())
                .set(USAGE_REPRICE_RUN.REASON, request.reason())
                .set(USAGE_REPRICE_RUN.FROM_DAY, request.from())
                .set(USAGE_REPRICE_RUN.TO_DAY, request.to())
                .set(USAGE_REPRICE_RUN.MODELS, request.models().toArray(String[]::new))
                .set(USAGE_REPRICE_RUN.INCLUDE_UNPRICED, request.includeUnpriced())
                .set(USAGE_REPRICE_RUN.WORKSPACE_ID, request.workspace())
                .set(USAGE_REPRICE_RUN.STATUS, "queued")
                .set(USAGE_REPRICE_RUN.CREATED_AT, now.atOffset(ZoneOffset.UTC))
                .returning(USAGE_REPRICE_RUN.RUN_ID).fetchSingle().getRunId();
        if (jobs != null) {
            UUID jobId = UUID.nameUUIDFromBytes(("tokenledger/usage_reprice/run-" + runId).getBytes(StandardCharsets.UTF_8));
            JobId queued = jobs.create(JobBuilder.aJob().withId(jobId)
                    .withName("usage_reprice run " + runId + ": " + request.from() + " .. " + request.to()
                            + (request.models().isEmpty() ? "" : ", " + models(request.models()))
                            + (request.workspace() == null ? "" : ", workspace " + request.workspace()))
                    .withLabels("usage_reprice")
                    .withJobRequest(new UsageRepriceRequestV1(runId)));
            db.update(USAGE_REPRICE_RUN).set(USAGE_REPRICE_RUN.JOB_ID, queued.asUUID())
                    .where(USAGE_REPRICE_RUN.RUN_ID.eq(runId)).execute();
        }
        LOG.info("reprice run {} queued: {} .. {}, models {}, workspace {}, by {}: {}", runId, request.from(),
                request.to(), request.models(), request.workspace(), request.requestedBy(), request.reason());
        return find(runId).orElseThrow();
    }

    /** What a run over {@code request} would find and append now, without writing anything. */
    public Summary dryRun(RepriceRequest request) {
        validate(request);
        Summary total = Summary.EMPTY;
        for (LocalDate day : candidateDays(request)) {
            total = total.plus(price(day, request, 0).summary());
        }
        return total;
    }

    public Optional<Run> find(long runId) {
        return Optional.ofNullable(db.selectFrom(USAGE_REPRICE_RUN).where(USAGE_REPRICE_RUN.RUN_ID.eq(runId)).fetchOne())
                .map(this::run);
    }

    /** The latest runs first. */
    public List<Run> list(int limit) {
        return db.selectFrom(USAGE_REPRICE_RUN).orderBy(USAGE_REPRICE_RUN.RUN_ID.desc()).limit(limit).fetch()
                .map(this::run);
    }

    /**
     * Works through a run's days that are not done yet (the {@code usage_reprice} job's body); resumes where a
     * killed run stopped. Waits while another run works ({@link #RUN_LOCK}): throws, so JobRunr tries again.
     */
    public Run run(long runId, IntConsumer dayDone) {
        UsageRepriceRunRecord run = db.selectFrom(USAGE_REPRICE_RUN).where(USAGE_REPRICE_RUN.RUN_ID.eq(runId)).fetchOne();
        if (run == null) {
            throw new IllegalArgumentException("no reprice run " + runId);
        }
        if (run.getStatus().equals("done")) {
            return run(run);
        }
        try (Connection lock = dataSource.getConnection()) {
            if (!tryLock(lock)) {
                throw new BusyException("reprice run " + runId + " waits: another reprice run is working");
            }
            try {
                identity.requireMatch();
                db.update(USAGE_REPRICE_RUN).set(USAGE_REPRICE_RUN.STATUS, "running")
                        .set(USAGE_REPRICE_RUN.STARTED_AT, DSL.coalesce(USAGE_REPRICE_RUN.STARTED_AT,
                                DSL.val(clock.instant().atOffset(ZoneOffset.UTC))))
                        .setNull(USAGE_REPRICE_RUN.ERROR)
                        .where(USAGE_REPRICE_RUN.RUN_ID.eq(runId)).execute();
                RepriceRequest request = request(run);
                Instant adjustedAt = run.getCreatedAt().toInstant().truncatedTo(ChronoUnit.MILLIS);
                List<LocalDate> days = plan(runId, request);
                int index = 0;
                for (LocalDate day : days) {
                    runDay(runId, request, day, adjustedAt);
                    dayDone.accept(++index);
                }
                db.update(USAGE_REPRICE_RUN).set(USAGE_REPRICE_RUN.STATUS, "done")
                        .set(USAGE_REPRICE_RUN.FINISHED_AT, clock.instant().atOffset(ZoneOffset.UTC))
                        .where(USAGE_REPRICE_RUN.RUN_ID.eq(runId)).execute();
            } catch (RuntimeException e) {
                db.update(USAGE_REPRICE_RUN).set(USAGE_REPRICE_RUN.ERROR, firstChars(e.toString()))
                        .where(USAGE_REPRICE_RUN.RUN_ID.eq(runId)).execute();
                throw e;
            } finally {
                unlock(lock);
            }
        } catch (SQLException e) {
            throw new DataAccessException("reprice run " + runId + ": " + e.getMessage(), e);
        }
        Run done = find(runId).orElseThrow();
        LOG.info("reprice run {} done: {} event(s) examined, {} adjusted, cost {} -> {}", runId, done.eventsExamined(),
                done.eventsAdjusted(), done.costBefore().toPlainString(), done.costAfter().toPlainString());
        return done;
    }

    /** The cost components, as columns of llm_usage and llm_usage_adjustment. */
    static final List<String> COMPONENTS = List.of("cost_usd", "input_cost", "cached_input_cost", "cache_creation_cost",
            "output_cost", "reasoning_cost", "audio_cost", "tool_use_cost");

    /**
     * One event's cost, traced: as written, every adjustment with its run and reason, and now. Empty when
     * llm_usage does not hold the event (never written, dead-lettered, or past its 13 months).
     */
    public Optional<CostExplanation> explain(UUID eventId) {
        List<Row> rows = clickHouse.query("SELECT toString(u.event_id) AS id, toString(u.event_time) AS at,"
                + " user_id, workspace_id, agent_id, model, provider, session_id, service_tier, prompt_tokens,"
                + " completion_tokens, total_tokens, cached_tokens, cache_creation_tokens, cache_creation_1h_tokens,"
                + " thoughts_tokens, audio_prompt_tokens, audio_completion_tokens, tool_use_prompt_tokens, batch_id,"
                + " toString(ingested_at) AS ingested, toString(cost_status) AS status, pricing_model, pricing_id,"
                + " pricing_override_id, " + String.join(", ", COMPONENTS)
                + " FROM llm_usage AS u WHERE u.event_id = {id:UUID} LIMIT 1", Map.of("id", eventId.toString()));
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        Row u = rows.getFirst();
        Map<String, Object> event = new LinkedHashMap<>();
        for (String c : List.of("user_id", "workspace_id", "agent_id", "model", "provider", "session_id",
                "service_tier")) {
            event.put(c, u.string(c));
        }
        for (String c : List.of("prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens",
                "cache_creation_tokens", "cache_creation_1h_tokens", "thoughts_tokens", "audio_prompt_tokens",
                "audio_completion_tokens", "tool_use_prompt_tokens", "batch_id")) {
            event.put(c, u.int64(c));
        }
        event.put("ingested_at", u.instant("ingested"));
        boolean writtenPriced = !u.string("status").equals("unpriced");
        Map<String, BigDecimal> written = new LinkedHashMap<>();
        Map<String, BigDecimal> current = new LinkedHashMap<>();
        for (String c : COMPONENTS) {
            if (writtenPriced) {
                written.put(c, u.decimal(c));
            }
            current.put(c, writtenPriced ? u.decimal(c) : BigDecimal.ZERO);
        }
        Map<Long, UsageRepriceRunRecordView> runs = new LinkedHashMap<>();
        List<CostExplanation.Entry> entries = new ArrayList<>();
        String status = u.string("status");
        for (Row a : clickHouse.query("SELECT run_id, toString(adjusted_at) AS adjusted, toString(cost_status) AS"
                + " status, pricing_model, pricing_id, pricing_override_id, unpriced_delta, "
                + String.join(", ", COMPONENTS) + " FROM llm_usage_adjustment AS a WHERE a.event_id = {id:UUID}"
                + " ORDER BY run_id", Map.of("id", eventId.toString()))) {
            long runId = a.int64("run_id");
            UsageRepriceRunRecordView run = runs.computeIfAbsent(runId, this::runView);
            Map<String, BigDecimal> deltas = new LinkedHashMap<>();
            for (String c : COMPONENTS) {
                deltas.put(c, a.decimal(c));
                current.merge(c, a.decimal(c), BigDecimal::add);
            }
            status = a.string("status");
            entries.add(new CostExplanation.Entry(runId, run.reason(), run.requestedBy(), a.instant("adjusted"),
                    status, a.string("pricing_model"), a.int64("pricing_id"), a.int64("pricing_override_id"),
                    Long.parseLong(a.string("unpriced_delta")), deltas));
        }
        if (status.equals("unpriced")) {
            current.clear();
        }
        return Optional.of(new CostExplanation(eventId, u.instant("at"), event, u.string("status"),
                u.string("pricing_model"), u.int64("pricing_id"), u.int64("pricing_override_id"), written, entries,
                status, current));
    }

    private record UsageRepriceRunRecordView(String reason, String requestedBy) {
    }

    private UsageRepriceRunRecordView runView(long runId) {
        UsageRepriceRunRecord r = db.selectFrom(USAGE_REPRICE_RUN).where(USAGE_REPRICE_RUN.RUN_ID.eq(runId)).fetchOne();
        return r == null ? new UsageRepriceRunRecordView("(run not in PostgreSQL)", "")
                : new UsageRepriceRunRecordView(r.getReason(), r.getRequestedBy());
    }

    /**
     * The days of a run that hold events its filter may select, fixed (in usage_reprice_day) when the run first
     * starts, so a resumed run goes through exactly the same days. A day without such events is skipped: a
     * back-pricing run over 13 months reads only the days that matter.
     */
    private List<LocalDate> plan(long runId, RepriceRequest request) {
        if (!db.fetchExists(USAGE_REPRICE_DAY, USAGE_REPRICE_DAY.RUN_ID.eq(runId))) {
            List<LocalDate> days = candidateDays(request);
            db.transaction(tx -> {
                for (LocalDate d : days) {
                    tx.dsl().insertInto(USAGE_REPRICE_DAY).set(USAGE_REPRICE_DAY.RUN_ID, runId)
                            .set(USAGE_REPRICE_DAY.DAY, d).onConflictDoNothing().execute();
                }
                if (days.isEmpty()) { // marks the run planned: nothing to do
                    tx.dsl().update(USAGE_REPRICE_RUN).set(USAGE_REPRICE_RUN.STATUS, "running")
                            .where(USAGE_REPRICE_RUN.RUN_ID.eq(runId)).execute();
                }
            });
        }
        return db.select(USAGE_REPRICE_DAY.DAY).from(USAGE_REPRICE_DAY).where(USAGE_REPRICE_DAY.RUN_ID.eq(runId))
                .orderBy(USAGE_REPRICE_DAY.DAY).fetch(USAGE_REPRICE_DAY.DAY);
    }

    /** The days of the request's range that hold events its filter may select. */
    private List<LocalDate> candidateDays(RepriceRequest request) {
        Map<String, String> params = new LinkedHashMap<>();
        String where = CurrentCosts.candidates(request, params);
        params.put("from", request.from() + " 00:00:00.000");
        params.put("to", request.to().plusDays(1) + " 00:00:00.000");
        List<LocalDate> days = new ArrayList<>();
        for (Row r : clickHouse.query("SELECT DISTINCT toString(toDate(u.event_time)) AS d FROM llm_usage AS u"
                + " WHERE u.event_time >= {from:DateTime64(3, 'UTC')} AND u.event_time < {to:DateTime64(3, 'UTC')}"
                + where + " ORDER BY d", params)) {
            days.add(LocalDate.parse(r.string("d")));
        }
        return days;
    }

    /** Number of days a run plans to go through (its progress bar's length; the whole range before it is planned). */
    private int days(long runId, RepriceRequest r) {
        int planned = db.fetchCount(USAGE_REPRICE_DAY, USAGE_REPRICE_DAY.RUN_ID.eq(runId));
        return planned > 0 ? planned : (int) ChronoUnit.DAYS.between(r.from(), r.to()) + 1;
    }

    /** One day of a run: appended once, then recorded. */
    private void runDay(long runId, RepriceRequest request, LocalDate day, Instant adjustedAt) {
        if (db.fetchExists(USAGE_REPRICE_DAY, USAGE_REPRICE_DAY.RUN_ID.eq(runId).and(USAGE_REPRICE_DAY.DAY.eq(day))
                .and(USAGE_REPRICE_DAY.DONE_AT.isNotNull()))) {
            return;
        }
        int month = day.getYear() * 100 + day.getMonthValue();
        try (MonthLocks lock = MonthLocks.acquire(dataSource, List.of(month), true, BatchWriter.MONTH_LOCK_WAIT)) {
            db.update(USAGE_REPRICE_DAY).set(USAGE_REPRICE_DAY.ATTEMPTS, USAGE_REPRICE_DAY.ATTEMPTS.plus(1))
                    .where(USAGE_REPRICE_DAY.RUN_ID.eq(runId)).and(USAGE_REPRICE_DAY.DAY.eq(day)).execute();
            Priced priced = price(day, request, runId);
            long already = adjustmentsOfRun(runId, day);
            if (already == 0 && !priced.adjustments().isEmpty()) {
                byte[] rows = Adjustment.encode(priced.adjustments(), runId, adjustedAt);
                String token = "tokenledger/usage_reprice/v1/" + identity.requireMatch() + "/run-" + runId + "/" + day
                        + "/" + priced.adjustments().size() + "-" + sha256(rows).substring(0, 16);
                clickHouse.insert(new InsertBatch(Rollups.ADJUSTMENTS, rows, priced.adjustments().size(), token,
                        BatchWriter.INSERT_SETTINGS));
                long there = adjustmentsOfRun(runId, day);
                if (there == 0) {
                    // The token reached the deduplication log without its part (ClickHouse died in between): every
                    // re-send is dropped. Written into the table directly; the rollup repair adds them to the rollup.
                    LOG.warn("reprice run {} day {}: ClickHouse acknowledged {} adjustment(s) but holds none; writing"
                            + " them into {} directly", runId, day, priced.adjustments().size(), Rollups.ADJUSTMENTS);
                    attachDirectly(runId, day, rows, priced.adjustments().size(), token);
                } else if (there != priced.adjustments().size()) {
                    throw new IllegalStateException("reprice run " + runId + " day " + day + ": ClickHouse holds "
                            + there + " of its " + priced.adjustments().size() + " adjustments after the insert");
                }
            } else if (already > 0) {
                LOG.info("reprice run {} day {}: its {} adjustment(s) reached ClickHouse before the run stopped;"
                        + " recording them", runId, day, already);
            }
            record(runId, day, priced.summary());
        }
    }

    /**
     * Records a day as done from what ClickHouse holds for it (so PostgreSQL's record and ClickHouse agree by
     * construction, and a resumed day counts what its first attempt appended).
     */
    private void record(long runId, LocalDate day, Summary priced) {
        long examined = priced.eventsExamined();
        BigDecimal costBefore = priced.costBefore();
        StringBuilder select = new StringBuilder("SELECT count() AS adjusted");
        for (Measure m : Measure.values()) {
            if (m.adjustable()) {
                select.append(", ").append(m.adjustmentAggregate()).append(" AS ").append(m.column());
            }
        }
        Row sums = clickHouse.query(select + " FROM llm_usage_adjustment WHERE run_id = {run:UInt64}"
                + " AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}",
                dayParams(runId, day)).getFirst();
        BigDecimal delta = sums.decimal(Measure.COST_USD.column());
        var update = db.update(USAGE_REPRICE_DAY)
                .set(USAGE_REPRICE_DAY.DONE_AT, clock.instant().atOffset(ZoneOffset.UTC))
                .set(USAGE_REPRICE_DAY.EVENTS_EXAMINED, examined)
                .set(USAGE_REPRICE_DAY.EVENTS_ADJUSTED, sums.int64("adjusted"))
                .set(USAGE_REPRICE_DAY.COST_BEFORE, costBefore)
                .set(USAGE_REPRICE_DAY.COST_AFTER, costBefore.add(delta == null ? BigDecimal.ZERO : delta))
                .set(USAGE_REPRICE_DAY.UNPRICED_BEFORE, priced.unpricedBefore())
                .set(USAGE_REPRICE_DAY.UNPRICED_AFTER, priced.unpricedBefore()
                        + sums.int64(Measure.UNPRICED_EVENTS.column()));
        for (Measure m : Measure.values()) {
            if (m.adjustable()) {
                BigDecimal v = sums.decimal(m.column());
                update = update.set(DSL.field(DSL.name(m.column()), SQLDataType.NUMERIC), v == null ? BigDecimal.ZERO : v);
            }
        }
        update.where(USAGE_REPRICE_DAY.RUN_ID.eq(runId)).and(USAGE_REPRICE_DAY.DAY.eq(day)).execute();
    }

    private long adjustmentsOfRun(long runId, LocalDate day) {
        return clickHouse.query(ADJUSTMENTS_OF_RUN, dayParams(runId, day)).getFirst().int64("n");
    }

    private static Map<String, String> dayParams(long runId, LocalDate day) {
        return Map.of("run", Long.toString(runId), "from", day + " 00:00:00.000", "to", day.plusDays(1) + " 00:00:00.000");
    }

    private void attachDirectly(long runId, LocalDate day, byte[] rows, int count, String token) {
        int month = day.getYear() * 100 + day.getMonthValue();
        String staging = Rollups.ADJUSTMENTS + "_repair_" + runId + "_" + day.toString().replace("-", "");
        clickHouse.execute("DROP TABLE IF EXISTS " + staging);
        clickHouse.execute("CREATE TABLE " + staging + " AS " + Rollups.ADJUSTMENTS);
        try {
            clickHouse.insert(new InsertBatch(staging, rows, count, token + "/repair"));
            clickHouse.execute("ALTER TABLE " + Rollups.ADJUSTMENTS + " ATTACH PARTITION ID '" + month + "' FROM "
                    + staging);
        } finally {
            clickHouse.execute("DROP TABLE IF EXISTS " + staging);
        }
    }

    /** The day's events (as the filter selects them) with their current and new cost, and the adjustments. */
    private record Priced(List<Adjustment> adjustments, Summary summary) {
    }

    private Priced price(LocalDate day, RepriceRequest request, long runId) {
        List<Adjustment> adjustments = new ArrayList<>();
        long examined = 0;
        BigDecimal before = BigDecimal.ZERO;
        BigDecimal after = BigDecimal.ZERO;
        long unpricedBefore = 0;
        long unpricedAfter = 0;
        for (CurrentCosts.Event e : CurrentCosts.read(clickHouse, day, request, runId)) {
            examined++;
            EventCost next = pricer.price(e.event());
            if (e.current().total() == null) {
                unpricedBefore++;
            } else {
                before = before.add(e.current().total());
            }
            if (next.total() == null) {
                unpricedAfter++;
            } else {
                after = after.add(next.total());
            }
            Adjustment a = Adjustment.between(e.event(), e.current(), next);
            if (a != null) {
                adjustments.add(a);
            }
        }
        return new Priced(adjustments, new Summary(examined, adjustments.size(), before, after, unpricedBefore,
                unpricedAfter));
    }

    /** A model list for a job's name: the first few, then how many more. */
    static String models(List<String> models) {
        int shown = Math.min(3, models.size());
        return "model" + (models.size() == 1 ? " " : "s ") + String.join(", ", models.subList(0, shown))
                + (models.size() > shown ? " and " + (models.size() - shown) + " more" : "");
    }

    /** The oldest day llm_usage still holds whole: the first day of the month 12 months back (13 monthly partitions). */
    static LocalDate oldestDay(LocalDate today) {
        return today.withDayOfMonth(1).minusMonths(RAW_MONTHS - 1);
    }

    private static LocalDate max(LocalDate a, LocalDate b) {
        return a.isAfter(b) ? a : b;
    }

    private void validate(RepriceRequest r) {
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        LocalDate oldest = oldestDay(today);
        if (r.from().isBefore(oldest)) {
            throw new IllegalArgumentException("--from " + r.from() + " is beyond llm_usage's " + RAW_MONTHS
                    + "-month retention: the oldest day that can be re-priced is " + oldest);
        }
        if (r.to().isAfter(today)) {
            throw new IllegalArgumentException("--to " + r.to() + " is in the future (today is " + today + ", UTC)");
        }
        Map<String, String> range = Map.of("from", r.from() + " 00:00:00.000", "to", r.to().plusDays(1) + " 00:00:00.000");
        long events = clickHouse.query("SELECT count() AS n FROM llm_usage WHERE event_time >= {from:DateTime64(3, 'UTC')}"
                + " AND event_time < {to:DateTime64(3, 'UTC')}", range).getFirst().int64("n");
        if (events == 0) {
            throw new IllegalArgumentException("no usage was written between " + r.from() + " and " + r.to()
                    + ": nothing to re-price");
        }
        for (String model : r.models()) {
            Map<String, String> p = new LinkedHashMap<>(range);
            p.put("model", model);
            long n = clickHouse.query("SELECT count() AS n FROM llm_usage WHERE event_time >= {from:DateTime64(3, 'UTC')}"
                    + " AND event_time < {to:DateTime64(3, 'UTC')} AND (model = {model:String}"
                    + " OR pricing_model = {model:String})", p).getFirst().int64("n");
            if (n == 0) {
                throw new IllegalArgumentException("--model " + model + ": no event between " + r.from() + " and "
                        + r.to() + " was recorded or priced as that model");
            }
        }
    }

    private static RepriceRequest request(UsageRepriceRunRecord r) {
        return new RepriceRequest(r.getFromDay(), r.getToDay(), List.of(r.getModels()), r.getIncludeUnpriced(),
                r.getWorkspaceId(), r.getReason(), r.getRequestedBy());
    }

    private Run run(UsageRepriceRunRecord r) {
        var totals = db.select(DSL.count(), DSL.sum(USAGE_REPRICE_DAY.EVENTS_EXAMINED),
                        DSL.sum(USAGE_REPRICE_DAY.EVENTS_ADJUSTED), DSL.sum(USAGE_REPRICE_DAY.COST_BEFORE),
                        DSL.sum(USAGE_REPRICE_DAY.COST_AFTER), DSL.sum(USAGE_REPRICE_DAY.UNPRICED_BEFORE),
                        DSL.sum(USAGE_REPRICE_DAY.UNPRICED_AFTER))
                .from(USAGE_REPRICE_DAY)
                .where(USAGE_REPRICE_DAY.RUN_ID.eq(r.getRunId())).and(USAGE_REPRICE_DAY.DONE_AT.isNotNull())
                .fetchSingle();
        return new Run(r.getRunId(), r.getRequestedBy(), r.getReason(), r.getFromDay(), r.getToDay(),
                List.of(r.getModels()), r.getIncludeUnpriced(), r.getWorkspaceId(), r.getStatus(),
                r.getCreatedAt().toInstant(), r.getStartedAt() == null ? null : r.getStartedAt().toInstant(),
                r.getFinishedAt() == null ? null : r.getFinishedAt().toInstant(), r.getError(), totals.value1(),
                days(r.getRunId(), request(r)), longOf(totals.value2()), longOf(totals.value3()), decimalOf(totals.value4()),
                decimalOf(totals.value5()), longOf(totals.value6()), longOf(totals.value7()));
    }

    private static boolean tryLock(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?, 0)")) {
            ps.setInt(1, RUN_LOCK);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private static void unlock(Connection c) {
        try (Statement st = c.createStatement()) {
            st.execute("SELECT pg_advisory_unlock_all()");
        } catch (SQLException e) {
            // a broken connection released the lock with its session
        }
    }

    private static long longOf(Object v) {
        return v == null ? 0 : ((Number) v).longValue();
    }

    private static BigDecimal decimalOf(Object v) {
        return v == null ? BigDecimal.ZERO : new BigDecimal(v.toString());
    }

    private static String firstChars(String s) {
        return s.length() > 2000 ? s.substring(0, 2000) : s;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
