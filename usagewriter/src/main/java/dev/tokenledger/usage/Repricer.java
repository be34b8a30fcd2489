package dev.tokenledger.usage;

import static dev.tokenledger.postgres.schema.Tables.USAGE_REPRICE_CHUNK;
import static dev.tokenledger.postgres.schema.Tables.USAGE_REPRICE_DAY;
import static dev.tokenledger.postgres.schema.Tables.USAGE_REPRICE_RUN;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ClickHouseTopology;
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
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.LongConsumer;
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
 * <p>A run is a {@code usage_reprice} JobRunr job that goes through its range month by month, in chunks of
 * {@link #CHUNK} events in llm_usage's sort order ({@link CurrentCosts}): each chunk is read back from ClickHouse
 * (the staging copy in PostgreSQL is long purged), priced, and appended to llm_usage_adjustment as one insert
 * under a token naming the ledger, the run, the chunk and the content; then it is recorded in
 * usage_reprice_chunk and usage_reprice_day. A chunk's key range is fixed in PostgreSQL when it is first read, so a
 * resumed chunk reads the same events; one whose adjustments already reached ClickHouse (the run was killed after
 * the insert) is recorded from what ClickHouse holds instead of being sent again. So a run killed anywhere and
 * resumed appends each adjustment exactly once. One run works at a time (a PostgreSQL advisory lock); a second
 * waits. Each chunk holds its month shared ({@link MonthLocks}) like a usage write, so a rollup repair never
 * interleaves.
 *
 * <p>Safe to use from many threads and processes: the advisory lock above lets one run work at a time.
 */
public final class Repricer {
    private static final Logger LOG = LoggerFactory.getLogger(Repricer.class);
    /** Advisory lock key held by the run that works now: "urpr". */
    static final int RUN_LOCK = 0x75727072;
    /** llm_usage keeps 13 months: older events cannot be re-priced (they are gone). */
    static final int RAW_MONTHS = 13;
    /**
     * Events per chunk by default: one ClickHouse read and one insert of at most that many adjustments, about
     * 100 MB of memory while it is priced.
     */
    public static final int CHUNK = 200_000;

    private final DataSource dataSource;
    private final DSLContext db;
    private final ClickHouse clickHouse;
    private final EventPricer pricer;
    private final LedgerIdentity identity;
    private final JobRequestScheduler jobs;
    private final InstantSource clock;
    private final int chunk;

    /**
     * @param jobs where runs are queued as {@code usage_reprice} jobs; null to run them only through {@link #run}
     */
    Repricer(DataSource dataSource, ClickHouse clickHouse, EventPricer pricer, JobRequestScheduler jobs,
                    InstantSource clock) {
        this(dataSource, clickHouse, pricer, jobs, clock, CHUNK);
    }

    /** @param chunk events per chunk (a smaller chunk costs more round trips and less memory) */
    Repricer(DataSource dataSource, ClickHouse clickHouse, EventPricer pricer, JobRequestScheduler jobs,
                    InstantSource clock, int chunk) {
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk must be at least 1, got " + chunk);
        }
        this.dataSource = dataSource;
        this.db = DSL.using(dataSource, SQLDialect.POSTGRES);
        this.clickHouse = clickHouse;
        this.pricer = pricer;
        this.identity = new LedgerIdentity(dataSource, clickHouse, clock);
        this.jobs = jobs;
        this.clock = clock;
        this.chunk = chunk;
    }

    /**
     * A run as PostgreSQL records it, with its totals over the chunks done so far.
     *
     * @param eventsInRange the events its range and filter select (counted when it starts; 0 before): its progress
     *                      bar's length
     */
    public record Run(long runId, String requestedBy, String reason, LocalDate from, LocalDate to, List<String> models,
                      boolean includeUnpriced, String workspace, String status, Instant createdAt, Instant startedAt,
                      Instant finishedAt, String error, int chunksDone, long eventsInRange, long eventsExamined,
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
        for (int month : months(request)) {
            Instant[] range = range(request, month);
            CurrentCosts.Key after = null;
            while (true) {
                CurrentCosts.Chunk chunk = CurrentCosts.read(clickHouse, range[0], range[1], after, null, this.chunk,
                        request, 0);
                if (chunk.last() == null) {
                    break;
                }
                total = total.plus(price(chunk).summary());
                after = chunk.last();
            }
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
    public Run run(long runId, LongConsumer examined) {
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
                countRange(runId, request);
                for (int month : months(request)) {
                    runMonth(runId, request, month, adjustedAt, examined);
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
            "output_cost", "reasoning_cost", "audio_cost", "tool_use_cost", "image_cost", "web_search_cost",
            "seconds_cost");

    /**
     * One event's cost, traced: as written, every adjustment with its run and reason, and now. Empty when
     * llm_usage does not hold the event (never written, dead-lettered, or past its 13 months).
     */
    public Optional<CostExplanation> explain(UUID eventId) {
        List<Row> rows = clickHouse.query("SELECT toString(u.event_id) AS id, toString(u.event_time) AS at,"
                + " user_id, workspace_id, agent_id, model, provider, session_id, service_tier, prompt_tokens,"
                + " completion_tokens, total_tokens, cached_tokens, cache_creation_tokens, cache_creation_1h_tokens,"
                + " thoughts_tokens, audio_prompt_tokens, audio_completion_tokens, tool_use_prompt_tokens, batch_id,"
                + " image_prompt_tokens, image_completion_tokens, web_search_requests, input_images, output_images,"
                + " toString(input_audio_seconds) AS input_audio_seconds,"
                + " toString(input_video_seconds) AS input_video_seconds,"
                + " toString(output_audio_seconds) AS output_audio_seconds,"
                + " toString(output_video_seconds) AS output_video_seconds, inference_geo,"
                + " toString(ingested_at) AS ingested, toString(cost_status) AS status, pricing_model, pricing_id,"
                + " pricing_override_id, pricing_match, unpriced_reason, pricing_flags, " + String.join(", ", COMPONENTS)
                + " FROM llm_usage AS u WHERE u.event_id = {id:UUID} LIMIT 1", Map.of("id", eventId.toString()));
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        Row u = rows.getFirst();
        Map<String, Object> event = new LinkedHashMap<>();
        for (String c : List.of("user_id", "workspace_id", "agent_id", "model", "provider", "session_id",
                "service_tier", "inference_geo")) {
            event.put(c, u.string(c));
        }
        for (String c : List.of("prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens",
                "cache_creation_tokens", "cache_creation_1h_tokens", "thoughts_tokens", "audio_prompt_tokens",
                "audio_completion_tokens", "tool_use_prompt_tokens", "image_prompt_tokens", "image_completion_tokens",
                "web_search_requests", "input_images", "output_images", "batch_id")) {
            event.put(c, u.int64(c));
        }
        for (String c : List.of("input_audio_seconds", "input_video_seconds", "output_audio_seconds",
                "output_video_seconds")) {
            event.put(c, new BigDecimal(u.string(c)).setScale(UsageEvent.SECONDS_SCALE));
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
                + " status, pricing_model, pricing_id, pricing_override_id, pricing_match, unpriced_reason, pricing_flags,"
                + " unpriced_delta, "
                + String.join(", ", COMPONENTS) + " FROM llm_usage_adjustment AS a WHERE a.user_id = {user:String}"
                + " AND a.workspace_id = {ws:String} AND a.event_time = {at:DateTime64(3, 'UTC')}"
                + " AND a.event_id = {id:UUID} ORDER BY run_id", Map.of("id", eventId.toString(), "user",
                u.string("user_id"), "ws", u.string("workspace_id"), "at", u.string("at")))) {
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
                    basis(a), Long.parseLong(a.string("unpriced_delta")), deltas));
        }
        if (status.equals("unpriced")) {
            current.clear();
        }
        return Optional.of(new CostExplanation(eventId, u.instant("at"), event, u.string("status"),
                u.string("pricing_model"), u.int64("pricing_id"), u.int64("pricing_override_id"), basis(u), written,
                entries, status, current));
    }

    private static EventCost.Basis basis(Row r) {
        return new EventCost.Basis(r.string("pricing_match"), r.string("unpriced_reason"), r.string("pricing_flags"));
    }

    private record UsageRepriceRunRecordView(String reason, String requestedBy) {
    }

    private UsageRepriceRunRecordView runView(long runId) {
        UsageRepriceRunRecord r = db.selectFrom(USAGE_REPRICE_RUN).where(USAGE_REPRICE_RUN.RUN_ID.eq(runId)).fetchOne();
        return r == null ? new UsageRepriceRunRecordView("(run not in PostgreSQL)", "")
                : new UsageRepriceRunRecordView(r.getReason(), r.getRequestedBy());
    }

    /** The months (yyyymm) of a request's range, oldest first. */
    static List<Integer> months(RepriceRequest r) {
        return UsageReconcileJob.monthsBetween(r.from(), r.to());
    }

    /** The part of a request's range in {@code month}: {@code [from, to)}. */
    private static Instant[] range(RepriceRequest r, int month) {
        LocalDate first = LocalDate.of(month / 100, month % 100, 1);
        LocalDate from = max(first, r.from());
        LocalDate end = r.to().plusDays(1).isBefore(first.plusMonths(1)) ? r.to().plusDays(1) : first.plusMonths(1);
        return new Instant[] {from.atStartOfDay().toInstant(ZoneOffset.UTC), end.atStartOfDay().toInstant(ZoneOffset.UTC)};
    }

    /** Counts the events a run reads once, for its progress (those it examines may be fewer). */
    private void countRange(long runId, RepriceRequest request) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("from", request.from() + " 00:00:00.000");
        p.put("to", request.to().plusDays(1) + " 00:00:00.000");
        long n = clickHouse.query("SELECT count() AS n FROM llm_usage AS u WHERE u.event_time >= {from:DateTime64(3,"
                + " 'UTC')} AND u.event_time < {to:DateTime64(3, 'UTC')}" + CurrentCosts.requestFilter(request, p), p)
                .getFirst().int64("n");
        db.update(USAGE_REPRICE_RUN).set(USAGE_REPRICE_RUN.EVENTS_IN_RANGE, n)
                .where(USAGE_REPRICE_RUN.RUN_ID.eq(runId)).and(USAGE_REPRICE_RUN.EVENTS_IN_RANGE.isNull()).execute();
    }

    /** A month of a run, chunk after chunk, from its first chunk not done. */
    private void runMonth(long runId, RepriceRequest request, int month, Instant adjustedAt, LongConsumer examined) {
        Instant[] range = range(request, month);
        while (true) {
            var last = db.selectFrom(USAGE_REPRICE_CHUNK).where(USAGE_REPRICE_CHUNK.RUN_ID.eq(runId))
                    .and(USAGE_REPRICE_CHUNK.MONTH.eq(month)).orderBy(USAGE_REPRICE_CHUNK.SEQ.desc()).limit(1).fetchOne();
            int seq;
            CurrentCosts.Key after;
            CurrentCosts.Key upTo;
            if (last == null) {
                seq = 0;
                after = null;
                upTo = null;
            } else if (last.getDoneAt() != null) {
                seq = last.getSeq() + 1;
                after = lastKey(last);
                upTo = null;
            } else {
                seq = last.getSeq();
                after = afterKey(last);
                upTo = lastKey(last); // read again: the same range as the first attempt
            }
            try (MonthLocks lock = MonthLocks.acquire(dataSource, List.of(month), true, BatchWriter.MONTH_LOCK_WAIT)) {
                if (Eraser.unfinishedIn(db, month)) {
                    // Its counts are taken and its deletes may not be: adjustments appended now could be deleted
                    // uncounted. The run waits (JobRunr retries) until the erasure has finished the month.
                    throw new BusyException("reprice run " + runId + " waits: an erasure has not finished month "
                            + month);
                }
                CurrentCosts.Chunk chunk = CurrentCosts.read(clickHouse, range[0], range[1], after, upTo, this.chunk,
                        request, runId);
                if (chunk.last() == null) {
                    if (upTo == null) {
                        return; // the month is done
                    }
                    chunk = new CurrentCosts.Chunk(List.of(), upTo);
                }
                if (upTo == null) {
                    claim(runId, month, seq, after, chunk.last());
                } else {
                    db.update(USAGE_REPRICE_CHUNK).set(USAGE_REPRICE_CHUNK.ATTEMPTS, USAGE_REPRICE_CHUNK.ATTEMPTS.plus(1))
                            .where(USAGE_REPRICE_CHUNK.RUN_ID.eq(runId)).and(USAGE_REPRICE_CHUNK.MONTH.eq(month))
                            .and(USAGE_REPRICE_CHUNK.SEQ.eq(seq)).execute();
                }
                Priced priced = price(chunk);
                appendOnce(runId, month, seq, range, after, chunk.last(), priced.adjustments(), adjustedAt);
                record(runId, month, seq, range, after, chunk.last(), priced.summary());
                examined.accept(priced.summary().eventsExamined());
            }
        }
    }

    /** Fixes a new chunk's key range before anything of it is sent. */
    private void claim(long runId, int month, int seq, CurrentCosts.Key after, CurrentCosts.Key last) {
        db.insertInto(USAGE_REPRICE_CHUNK)
                .set(USAGE_REPRICE_CHUNK.RUN_ID, runId).set(USAGE_REPRICE_CHUNK.MONTH, month)
                .set(USAGE_REPRICE_CHUNK.SEQ, seq)
                .set(USAGE_REPRICE_CHUNK.AFTER_USER, after == null ? null : after.user())
                .set(USAGE_REPRICE_CHUNK.AFTER_WORKSPACE, after == null ? null : after.workspace())
                .set(USAGE_REPRICE_CHUNK.AFTER_TIME, after == null ? null : after.time().atOffset(ZoneOffset.UTC))
                .set(USAGE_REPRICE_CHUNK.AFTER_EVENT, after == null ? null : after.event())
                .set(USAGE_REPRICE_CHUNK.LAST_USER, last.user()).set(USAGE_REPRICE_CHUNK.LAST_WORKSPACE, last.workspace())
                .set(USAGE_REPRICE_CHUNK.LAST_TIME, last.time().atOffset(ZoneOffset.UTC))
                .set(USAGE_REPRICE_CHUNK.LAST_EVENT, last.event())
                .set(USAGE_REPRICE_CHUNK.ATTEMPTS, 1)
                .execute();
    }

    private static CurrentCosts.Key afterKey(dev.tokenledger.postgres.schema.tables.records.UsageRepriceChunkRecord c) {
        return c.getAfterUser() == null ? null : new CurrentCosts.Key(c.getAfterUser(), c.getAfterWorkspace(),
                c.getAfterTime().toInstant(), c.getAfterEvent());
    }

    private static CurrentCosts.Key lastKey(dev.tokenledger.postgres.schema.tables.records.UsageRepriceChunkRecord c) {
        return new CurrentCosts.Key(c.getLastUser(), c.getLastWorkspace(), c.getLastTime().toInstant(), c.getLastEvent());
    }

    /**
     * Appends a chunk's adjustments unless ClickHouse already holds this run's adjustments of the chunk's range (an
     * earlier attempt's insert arrived, and the run died before recording it).
     */
    private void appendOnce(long runId, int month, int seq, Instant[] range, CurrentCosts.Key after,
                            CurrentCosts.Key last, List<Adjustment> adjustments, Instant adjustedAt) {
        long already = adjustmentsOfRun(runId, range, after, last);
        if (already > 0) {
            LOG.info("reprice run {} month {} chunk {}: its {} adjustment(s) reached ClickHouse before the run stopped;"
                    + " recording them", runId, month, seq, already);
            return;
        }
        if (adjustments.isEmpty()) {
            return;
        }
        byte[] rows = Adjustment.encode(adjustments, runId, adjustedAt);
        String token = "tokenledger/usage_reprice/v1/" + identity.requireMatch() + "/run-" + runId + "/" + month + "/"
                + seq + "/" + adjustments.size() + "-" + sha256(rows).substring(0, 16);
        clickHouse.insert(new InsertBatch(Rollups.ADJUSTMENTS, rows, adjustments.size(), token,
                BatchWriter.INSERT_SETTINGS));
        long there = adjustmentsOfRun(runId, range, after, last);
        if (there == 0) {
            // The token reached the deduplication log without its part (ClickHouse died in between): every re-send
            // is dropped. Written into the table directly; the rollup repair adds them to the rollup.
            LOG.warn("reprice run {} month {} chunk {}: ClickHouse acknowledged {} adjustment(s) but holds none;"
                    + " writing them into {} directly", runId, month, seq, adjustments.size(), Rollups.ADJUSTMENTS);
            attachDirectly(runId, month, seq, rows, adjustments.size(), token);
        } else if (there != adjustments.size()) {
            throw new IllegalStateException("reprice run " + runId + " month " + month + " chunk " + seq
                    + ": ClickHouse holds " + there + " of its " + adjustments.size() + " adjustments after the insert");
        }
    }

    /**
     * Records a chunk as done from what ClickHouse holds for it (so PostgreSQL's record and ClickHouse agree by
     * construction, and a resumed chunk counts what its first attempt appended), per event day.
     */
    private void record(long runId, int month, int seq, Instant[] range, CurrentCosts.Key after, CurrentCosts.Key last,
                        Summary priced) {
        Map<String, String> params = new HashMap<>();
        String where = CurrentCosts.range(range[0], range[1], after, last, params, "");
        params.put("run", Long.toString(runId));
        StringBuilder select = new StringBuilder("SELECT toString(toDate(event_time)) AS day, count() AS adjusted");
        for (Measure m : Measure.values()) {
            if (m.adjustable()) {
                select.append(", ").append(m.adjustmentAggregate()).append(" AS ").append(m.column());
            }
        }
        List<Row> days = clickHouse.query(select + " FROM llm_usage_adjustment WHERE " + where
                + " AND run_id = {run:UInt64} GROUP BY day ORDER BY day", params);
        BigDecimal delta = BigDecimal.ZERO;
        long adjusted = 0;
        long unpricedDelta = 0;
        for (Row d : days) {
            delta = delta.add(d.decimal(Measure.COST_USD.column()));
            adjusted += d.int64("adjusted");
            unpricedDelta += d.int64(Measure.UNPRICED_EVENTS.column());
        }
        long adjustedTotal = adjusted;
        BigDecimal costAfter = priced.costBefore().add(delta);
        long unpricedAfter = priced.unpricedBefore() + unpricedDelta;
        db.transaction(tx -> {
            for (Row d : days) {
                var insert = tx.dsl().insertInto(USAGE_REPRICE_DAY)
                        .set(USAGE_REPRICE_DAY.RUN_ID, runId).set(USAGE_REPRICE_DAY.MONTH, month)
                        .set(USAGE_REPRICE_DAY.SEQ, seq).set(USAGE_REPRICE_DAY.DAY, LocalDate.parse(d.string("day")))
                        .set(USAGE_REPRICE_DAY.ADJUSTED, d.int64("adjusted"));
                for (Measure m : Measure.values()) {
                    if (m.adjustable()) {
                        insert = insert.set(DSL.field(DSL.name(m.column()), SQLDataType.NUMERIC), d.decimal(m.column()));
                    }
                }
                insert.onConflictDoNothing().execute();
            }
            tx.dsl().update(USAGE_REPRICE_CHUNK)
                    .set(USAGE_REPRICE_CHUNK.DONE_AT, clock.instant().atOffset(ZoneOffset.UTC))
                    .set(USAGE_REPRICE_CHUNK.EVENTS_EXAMINED, priced.eventsExamined())
                    .set(USAGE_REPRICE_CHUNK.EVENTS_ADJUSTED, adjustedTotal)
                    .set(USAGE_REPRICE_CHUNK.COST_BEFORE, priced.costBefore())
                    .set(USAGE_REPRICE_CHUNK.COST_AFTER, costAfter)
                    .set(USAGE_REPRICE_CHUNK.UNPRICED_BEFORE, priced.unpricedBefore())
                    .set(USAGE_REPRICE_CHUNK.UNPRICED_AFTER, unpricedAfter)
                    .where(USAGE_REPRICE_CHUNK.RUN_ID.eq(runId)).and(USAGE_REPRICE_CHUNK.MONTH.eq(month))
                    .and(USAGE_REPRICE_CHUNK.SEQ.eq(seq)).execute();
        });
    }

    private long adjustmentsOfRun(long runId, Instant[] range, CurrentCosts.Key after, CurrentCosts.Key last) {
        Map<String, String> params = new HashMap<>();
        String where = CurrentCosts.range(range[0], range[1], after, last, params, "");
        params.put("run", Long.toString(runId));
        return clickHouse.query("SELECT count() AS n FROM llm_usage_adjustment WHERE " + where
                + " AND run_id = {run:UInt64}", params).getFirst().int64("n");
    }

    private void attachDirectly(long runId, int month, int seq, byte[] rows, int count, String token) {
        if (ClickHouseTopology.migratedAs(clickHouse, Rollups.ADJUSTMENTS).clustered()) {
            // A replicated table has no token without its part: the read went to a replica that has not fetched the
            // chunk yet. The chunk's retry finds it, or sends it again under the same token.
            throw new IllegalStateException("reprice run " + runId + " month " + month + " chunk " + seq + ": the cluster"
                    + " acknowledged the insert but the replica read does not show its rows yet");
        }
        String staging = Rollups.ADJUSTMENTS + "_repair_" + runId + "_" + month + "_" + seq;
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

    /** A chunk's selected events with their current and new cost, and the adjustments. */
    private record Priced(List<Adjustment> adjustments, Summary summary) {
    }

    private Priced price(CurrentCosts.Chunk chunk) {
        List<Adjustment> adjustments = new ArrayList<>();
        long examined = 0;
        BigDecimal before = BigDecimal.ZERO;
        BigDecimal after = BigDecimal.ZERO;
        long unpricedBefore = 0;
        long unpricedAfter = 0;
        for (CurrentCosts.Event e : chunk.events()) {
            if (!e.selected()) {
                continue;
            }
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
        var totals = db.select(DSL.count(), DSL.sum(USAGE_REPRICE_CHUNK.EVENTS_EXAMINED),
                        DSL.sum(USAGE_REPRICE_CHUNK.EVENTS_ADJUSTED), DSL.sum(USAGE_REPRICE_CHUNK.COST_BEFORE),
                        DSL.sum(USAGE_REPRICE_CHUNK.COST_AFTER), DSL.sum(USAGE_REPRICE_CHUNK.UNPRICED_BEFORE),
                        DSL.sum(USAGE_REPRICE_CHUNK.UNPRICED_AFTER))
                .from(USAGE_REPRICE_CHUNK)
                .where(USAGE_REPRICE_CHUNK.RUN_ID.eq(r.getRunId())).and(USAGE_REPRICE_CHUNK.DONE_AT.isNotNull())
                .fetchSingle();
        return new Run(r.getRunId(), r.getRequestedBy(), r.getReason(), r.getFromDay(), r.getToDay(),
                List.of(r.getModels()), r.getIncludeUnpriced(), r.getWorkspaceId(), r.getStatus(),
                r.getCreatedAt().toInstant(), r.getStartedAt() == null ? null : r.getStartedAt().toInstant(),
                r.getFinishedAt() == null ? null : r.getFinishedAt().toInstant(), r.getError(), totals.value1(),
                r.getEventsInRange() == null ? 0 : r.getEventsInRange(), longOf(totals.value2()), longOf(totals.value3()), decimalOf(totals.value4()),
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
