package dev.tokenledger.usage;

import static dev.tokenledger.postgres.schema.Tables.USAGE_BATCH;
import static dev.tokenledger.postgres.schema.Tables.USAGE_DEAD_LETTER;
import static dev.tokenledger.postgres.schema.Tables.USAGE_EVENT;
import static dev.tokenledger.postgres.schema.Tables.USAGE_REPRICE_DAY;
import static dev.tokenledger.postgres.schema.Tables.USAGE_WRITTEN_DAY;
import static dev.tokenledger.postgres.schema.Tables.USAGE_WRITTEN_REPLAY;
import static org.jooq.impl.DSL.count;
import static org.jooq.impl.DSL.row;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.postgres.schema.tables.records.UsageBatchRecord;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Record2;
import org.jooq.SQLDialect;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Accounts for every accepted event, day by day, and compares what PostgreSQL wrote with what llm_usage and
 * every rollup hold, on every {@link Measure}. Read-only; {@link RollupRepair} fixes what it finds in a rollup.
 *
 * <p>Safe to use from many threads; it only reads.
 */
public final class Reconciler {
    private final DSLContext db;
    private final ClickHouse clickHouse;
    private final List<Rollups.Rollup> rollups;

    Reconciler(DataSource dataSource, ClickHouse clickHouse) {
        this(DSL.using(dataSource, SQLDialect.POSTGRES), clickHouse, Rollups.ALL);
    }

    private Reconciler(DSLContext db, ClickHouse clickHouse, List<Rollups.Rollup> rollups) {
        this.db = db;
        this.clickHouse = clickHouse;
        this.rollups = rollups;
    }

    /**
     * Days from {@code from} to {@code to}, both included. The PostgreSQL side is read in one snapshot; a batch
     * that reaches ClickHouse between that snapshot and the ClickHouse queries shows up as a difference on a day
     * that still has pending events, and is gone on the next run.
     */
    public ReconcileReport reconcile(LocalDate from, LocalDate to) {
        LocalDate end = to.plusDays(1);
        record PostgresSide(Map<LocalDate, ReconcileReport.Totals> written,
                            Map<LocalDate, ReconcileReport.Totals> adjusted,
                            Map<LocalDate, ReconcileReport.Accounting> accounting) {
        }
        PostgresSide pg = db.transactionResult(tx -> {
            tx.dsl().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            Reconciler inSnapshot = new Reconciler(tx.dsl(), clickHouse, rollups);
            return new PostgresSide(inSnapshot.written(from, end), inSnapshot.adjusted(from, end),
                    inSnapshot.accounting(from, end));
        });
        Map<String, String> range = Map.of("from", from + " 00:00:00.000", "to", end + " 00:00:00.000");
        Map<LocalDate, ReconcileReport.Totals> raw = clickHouse(sourceQuery(Rollups.USAGE, false), range);
        Map<LocalDate, ReconcileReport.Totals> adjustments = clickHouse(sourceQuery(Rollups.ADJUSTMENTS, true), range);
        Map<String, Map<LocalDate, ReconcileReport.Totals>> rolled = new LinkedHashMap<>();
        for (Rollups.Rollup r : rollups) {
            rolled.put(r.table(), clickHouse(rollupQuery(r.table()), Map.of("from", from.toString(),
                    "to", end.toString())));
        }

        TreeSet<LocalDate> days = new TreeSet<>();
        days.addAll(pg.written().keySet());
        days.addAll(pg.adjusted().keySet());
        days.addAll(pg.accounting().keySet());
        days.addAll(raw.keySet());
        days.addAll(adjustments.keySet());
        rolled.values().forEach(m -> days.addAll(m.keySet()));
        List<ReconcileReport.Day> out = new ArrayList<>();
        List<ReconcileReport.Difference> differences = new ArrayList<>();
        for (LocalDate d : days) {
            Map<String, ReconcileReport.Totals> rollupTotals = new LinkedHashMap<>();
            rolled.forEach((table, byDay) -> rollupTotals.put(table, byDay.getOrDefault(d, ReconcileReport.Totals.ZERO)));
            ReconcileReport.Day day = new ReconcileReport.Day(d, pg.written().getOrDefault(d, ReconcileReport.Totals.ZERO),
                    raw.getOrDefault(d, ReconcileReport.Totals.ZERO),
                    pg.adjusted().getOrDefault(d, ReconcileReport.Totals.ZERO),
                    adjustments.getOrDefault(d, ReconcileReport.Totals.ZERO), rollupTotals,
                    pg.accounting().getOrDefault(d, ReconcileReport.Accounting.NONE));
            out.add(day);
            differences.addAll(day.differences());
        }
        return new ReconcileReport(from, to, out, differences);
    }

    /** One month (yyyymm), every day of it. */
    public ReconcileReport reconcileMonth(int month) {
        LocalDate first = LocalDate.of(month / 100, month % 100, 1);
        return reconcile(first, first.plusMonths(1).minusDays(1));
    }

    /** Per day, every measure of llm_usage, or of llm_usage_adjustment ({@code adjustments}). */
    private static String sourceQuery(String table, boolean adjustments) {
        return "SELECT toDate(event_time) AS day, "
                + measures(m -> (adjustments ? m.adjustmentAggregate() : m.rawAggregate()) + " AS " + m.column())
                + "\nFROM " + table + "\nWHERE event_time >= {from:DateTime64(3, 'UTC')}"
                + " AND event_time < {to:DateTime64(3, 'UTC')}\nGROUP BY day";
    }

    private static String rollupQuery(String table) {
        return "SELECT day, " + measures(m -> "sum(" + m.column() + ") AS " + m.column())
                + "\nFROM " + table + "\nWHERE day >= {from:Date} AND day < {to:Date}\nGROUP BY day";
    }

    /** PostgreSQL's written totals: batches (usage_written_day) plus replayed dead letters (usage_written_replay). */
    private Map<LocalDate, ReconcileReport.Totals> written(LocalDate from, LocalDate end) {
        Map<LocalDate, ReconcileReport.Totals> batches = sumsByDay(USAGE_WRITTEN_DAY, USAGE_WRITTEN_DAY.DAY,
                USAGE_WRITTEN_DAY.DAY.ge(from).and(USAGE_WRITTEN_DAY.DAY.lt(end)), false);
        Map<LocalDate, ReconcileReport.Totals> replays = sumsByDay(USAGE_WRITTEN_REPLAY, USAGE_WRITTEN_REPLAY.DAY,
                USAGE_WRITTEN_REPLAY.DAY.ge(from).and(USAGE_WRITTEN_REPLAY.DAY.lt(end)), true);
        Map<LocalDate, ReconcileReport.Totals> out = new TreeMap<>(batches);
        replays.forEach((day, r) -> out.merge(day, r, Reconciler::add));
        erased("written", from, end, false).forEach((day, e) -> out.merge(day, e, Reconciler::add));
        return out;
    }

    /**
     * What erasures took out of PostgreSQL's account per day (usage_erased_day of one kind), negated so it adds.
     * {@code adjustableOnly}: only the measures an adjustment moves, the others absent.
     */
    private Map<LocalDate, ReconcileReport.Totals> erased(String kind, LocalDate from, LocalDate end,
                                                          boolean adjustableOnly) {
        Field<LocalDate> day = DSL.field(DSL.name("day"), SQLDataType.LOCALDATE);
        List<Field<?>> select = new ArrayList<>();
        select.add(day);
        for (Measure m : Measure.values()) {
            select.add(DSL.sum(DSL.field(DSL.name(m.column()), SQLDataType.NUMERIC)).as(m.column()));
        }
        Map<LocalDate, ReconcileReport.Totals> out = new TreeMap<>();
        for (Record r : db.select(select).from(DSL.table(DSL.name("usage_erased_day")))
                .where(DSL.field(DSL.name("kind"), String.class).eq(kind)).and(day.ge(from)).and(day.lt(end))
                .groupBy(day).fetch()) {
            Map<Measure, BigDecimal> values = new EnumMap<>(Measure.class);
            for (Measure m : Measure.values()) {
                if (!adjustableOnly || m.adjustable()) {
                    Object v = r.get(m.column());
                    values.put(m, v == null ? BigDecimal.ZERO : new BigDecimal(v.toString()).negate());
                }
            }
            out.put(r.get(day), new ReconcileReport.Totals(values));
        }
        return out;
    }

    /** PostgreSQL's record of the adjustments appended (usage_reprice_day: written when a chunk is done). */
    private Map<LocalDate, ReconcileReport.Totals> adjusted(LocalDate from, LocalDate end) {
        Map<LocalDate, ReconcileReport.Totals> out = new TreeMap<>();
        List<Field<?>> select = new ArrayList<>();
        select.add(USAGE_REPRICE_DAY.DAY);
        for (Measure m : Measure.values()) {
            if (m.adjustable()) {
                select.add(DSL.sum(DSL.field(DSL.name(m.column()), SQLDataType.NUMERIC)).as(m.column()));
            }
        }
        for (Record r : db.select(select).from(USAGE_REPRICE_DAY)
                .where(USAGE_REPRICE_DAY.DAY.ge(from)).and(USAGE_REPRICE_DAY.DAY.lt(end))
                .groupBy(USAGE_REPRICE_DAY.DAY).fetch()) {
            Map<Measure, BigDecimal> values = new EnumMap<>(Measure.class);
            for (Measure m : Measure.values()) {
                Object v = m.adjustable() ? r.get(m.column()) : null;
                values.put(m, v == null ? BigDecimal.ZERO : new BigDecimal(v.toString()));
            }
            out.put(r.get(USAGE_REPRICE_DAY.DAY), new ReconcileReport.Totals(values));
        }
        erased("adjustment", from, end, false).forEach((day, e) -> out.merge(day, e, Reconciler::add));
        return out;
    }

    /**
     * Sums every measure per day. A measure some row of a day did not record (NULL: written before V18) is
     * unknown for that day. {@code eachRowIsOneEvent}: the table has no events column, a row is an event.
     */
    private Map<LocalDate, ReconcileReport.Totals> sumsByDay(Table<?> table, Field<LocalDate> day,
                                                               org.jooq.Condition where, boolean eachRowIsOneEvent) {
        List<Field<?>> select = new ArrayList<>();
        select.add(day);
        for (Measure m : Measure.values()) {
            if (m == Measure.EVENTS && eachRowIsOneEvent) {
                select.add(DSL.count().cast(SQLDataType.NUMERIC).as(m.column()));
                continue;
            }
            Field<BigDecimal> col = DSL.field(DSL.name(m.column()), SQLDataType.NUMERIC);
            select.add(DSL.when(DSL.count(col).eq(DSL.count()), DSL.sum(col)).as(m.column()));
        }
        Map<LocalDate, ReconcileReport.Totals> out = new TreeMap<>();
        for (Record r : db.select(select).from(table).where(where).groupBy(day).fetch()) {
            Map<Measure, BigDecimal> values = new EnumMap<>(Measure.class);
            for (Measure m : Measure.values()) {
                Object v = r.get(m.column());
                if (v != null) {
                    values.put(m, new BigDecimal(v.toString()));
                }
            }
            out.put(r.get(day), new ReconcileReport.Totals(values));
        }
        return out;
    }

    private static ReconcileReport.Totals add(ReconcileReport.Totals a, ReconcileReport.Totals b) {
        Map<Measure, BigDecimal> sum = new EnumMap<>(Measure.class);
        for (Measure m : Measure.values()) {
            BigDecimal x = a.get(m);
            BigDecimal y = b.get(m);
            if (x != null && y != null) {
                sum.put(m, x.add(y));
            }
        }
        return new ReconcileReport.Totals(sum);
    }

    /** What became of each day's accepted events. */
    private Map<LocalDate, ReconcileReport.Accounting> accounting(LocalDate from, LocalDate end) {
        Map<LocalDate, long[]> byDay = new TreeMap<>(); // accepted, written, dead, unresolved, replayed, discarded, dup, pending
        for (Record r : db.select(USAGE_WRITTEN_DAY.DAY, DSL.sum(USAGE_WRITTEN_DAY.ACCEPTED_EVENTS),
                        DSL.sum(USAGE_WRITTEN_DAY.EVENTS), DSL.sum(USAGE_WRITTEN_DAY.DEAD_LETTERED_EVENTS),
                        DSL.sum(USAGE_WRITTEN_DAY.DUPLICATE_EVENTS))
                .from(USAGE_WRITTEN_DAY)
                .where(USAGE_WRITTEN_DAY.DAY.ge(from)).and(USAGE_WRITTEN_DAY.DAY.lt(end))
                .groupBy(USAGE_WRITTEN_DAY.DAY).fetch()) {
            long[] a = byDay.computeIfAbsent(r.get(USAGE_WRITTEN_DAY.DAY), d -> new long[8]);
            a[0] += longOf(r.get(1));
            a[1] += longOf(r.get(2));
            a[2] += longOf(r.get(3));
            a[6] += longOf(r.get(4));
        }
        Field<LocalDate> deadDay = DSL.field("({0} AT TIME ZONE 'UTC')::date", SQLDataType.LOCALDATE,
                USAGE_DEAD_LETTER.EVENT_TIME);
        for (Record r : db.select(deadDay, DSL.count().filterWhere(USAGE_DEAD_LETTER.RESOLUTION.isNull()),
                        DSL.count().filterWhere(USAGE_DEAD_LETTER.RESOLUTION.eq(DeadLetters.REPLAYED)),
                        DSL.count().filterWhere(USAGE_DEAD_LETTER.RESOLUTION.eq(DeadLetters.DISCARDED)))
                .from(USAGE_DEAD_LETTER)
                .where(USAGE_DEAD_LETTER.EVENT_TIME.ge(utc(from))).and(USAGE_DEAD_LETTER.EVENT_TIME.lt(utc(end)))
                .groupBy(deadDay).fetch()) {
            long[] a = byDay.computeIfAbsent(r.get(deadDay), d -> new long[8]);
            a[3] += longOf(r.get(1));
            a[4] += longOf(r.get(2));
            a[5] += longOf(r.get(3));
        }
        Field<LocalDate> erasedDay = DSL.field(DSL.name("day"), SQLDataType.LOCALDATE);
        for (Record r : db.select(erasedDay, DSL.sum(DSL.field(DSL.name("accepted_events"), SQLDataType.BIGINT)),
                        DSL.sum(DSL.field(DSL.name("batch_written_events"), SQLDataType.BIGINT)),
                        DSL.sum(DSL.field(DSL.name("dead_lettered_events"), SQLDataType.BIGINT)))
                .from(DSL.table(DSL.name("usage_erased_day")))
                .where(erasedDay.ge(from)).and(erasedDay.lt(end)).groupBy(erasedDay).fetch()) {
            // What erasures removed: no longer accepted, written or dead-lettered (usage_erased_day).
            long[] a = byDay.computeIfAbsent(r.get(erasedDay), d -> new long[8]);
            a[0] -= longOf(r.get(1));
            a[1] -= longOf(r.get(2));
            a[2] -= longOf(r.get(3));
        }
        pending(from, end).forEach((day, n) -> {
            long[] a = byDay.computeIfAbsent(day, d -> new long[8]);
            a[0] += n;
            a[7] += n;
        });
        Map<LocalDate, ReconcileReport.Accounting> out = new TreeMap<>();
        byDay.forEach((day, a) -> out.put(day, new ReconcileReport.Accounting(a[0], a[1], a[2], a[3], a[4], a[5], a[6],
                a[7])));
        return out;
    }

    private static long longOf(Object v) {
        return v == null ? 0 : ((Number) v).longValue();
    }

    private static OffsetDateTime utc(LocalDate day) {
        return day.atStartOfDay().atOffset(ZoneOffset.UTC);
    }

    /** Accepted events not yet written: in unwritten batches (less what they dead-lettered), or past the last batch. */
    private Map<LocalDate, Long> pending(LocalDate from, LocalDate end) {
        Map<LocalDate, Long> out = new TreeMap<>();
        Field<LocalDate> day = DSL.field("({0} AT TIME ZONE 'UTC')::date", SQLDataType.LOCALDATE, USAGE_EVENT.EVENT_TIME);
        OffsetDateTime lo = utc(from);
        OffsetDateTime hi = utc(end);
        List<UsageBatchRecord> unwritten = db.selectFrom(USAGE_BATCH).where(USAGE_BATCH.WRITTEN_AT.isNull())
                .and(USAGE_BATCH.MAX_EVENT_TIME.ge(lo)).and(USAGE_BATCH.MIN_EVENT_TIME.lt(hi)).fetch();
        for (UsageBatchRecord b : unwritten) {
            for (Record2<LocalDate, Integer> r : db.select(day, count()).from(USAGE_EVENT)
                    .where(row(USAGE_EVENT.TX_ID, USAGE_EVENT.SEQ).gt(b.getAfterTx(), b.getAfterSeq()))
                    .and(row(USAGE_EVENT.TX_ID, USAGE_EVENT.SEQ).le(b.getLastTx(), b.getLastSeq()))
                    .and(USAGE_EVENT.EVENT_TIME.ge(lo)).and(USAGE_EVENT.EVENT_TIME.lt(hi))
                    .groupBy(day).fetch()) {
                out.merge(r.value1(), r.value2().longValue(), Long::sum);
            }
        }
        UsageBatchRecord last = db.selectFrom(USAGE_BATCH).orderBy(USAGE_BATCH.BATCH_ID.desc()).limit(1).fetchOne();
        long afterTx = last == null ? 0 : last.getLastTx();
        long afterSeq = last == null ? 0 : last.getLastSeq();
        for (Record2<LocalDate, Integer> r : db.select(day, count()).from(USAGE_EVENT)
                .where(row(USAGE_EVENT.TX_ID, USAGE_EVENT.SEQ).gt(afterTx, afterSeq))
                .and(USAGE_EVENT.EVENT_TIME.ge(lo)).and(USAGE_EVENT.EVENT_TIME.lt(hi))
                .groupBy(day).fetch()) {
            out.merge(r.value1(), r.value2().longValue(), Long::sum);
        }
        return out;
    }

    private Map<LocalDate, ReconcileReport.Totals> clickHouse(String sql, Map<String, String> params) {
        Map<LocalDate, ReconcileReport.Totals> out = new TreeMap<>();
        for (Row r : clickHouse.query(sql, params)) {
            Map<Measure, BigDecimal> values = new HashMap<>();
            for (Measure m : Measure.values()) {
                BigDecimal v = r.decimal(m.column());
                values.put(m, v == null ? BigDecimal.ZERO : v);
            }
            out.put(r.date("day"), new ReconcileReport.Totals(values));
        }
        return out;
    }

    private static String measures(java.util.function.Function<Measure, String> each) {
        return java.util.Arrays.stream(Measure.values()).map(each).collect(Collectors.joining(", "));
    }
}
