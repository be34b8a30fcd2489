package dev.tokenledger.usage;

import static dev.tokenledger.postgres.schema.Tables.USAGE_BATCH;
import static dev.tokenledger.postgres.schema.Tables.USAGE_DEAD_LETTER;
import static dev.tokenledger.postgres.schema.Tables.USAGE_EVENT;
import static dev.tokenledger.postgres.schema.Tables.USAGE_WRITTEN_DAY;
import static org.jooq.impl.DSL.count;
import static org.jooq.impl.DSL.row;
import static org.jooq.impl.DSL.sum;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.postgres.schema.tables.records.UsageBatchRecord;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record2;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/** Compares, day by day, what PostgreSQL accepted and wrote with what ClickHouse holds, raw and rolled up. */
public final class Reconciler {
    private static final String RAW = """
            SELECT toDate(event_time) AS day, count() AS events, sum(prompt_tokens) AS prompt,
                   sum(completion_tokens) AS completion, sum(total_tokens) AS total,
                   sum(ifNull(cost_usd, toDecimal128(0, 12))) AS cost
            FROM llm_usage
            WHERE event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
            GROUP BY day""";
    private static final String ROLLUP = """
            SELECT day, sum(events) AS events, sum(prompt_tokens) AS prompt, sum(completion_tokens) AS completion,
                   sum(total_tokens) AS total, sum(cost_usd) AS cost
            FROM llm_usage_daily
            WHERE day >= {from:Date} AND day < {to:Date}
            GROUP BY day""";

    private final DSLContext db;
    private final ClickHouse clickHouse;

    public Reconciler(DataSource dataSource, ClickHouse clickHouse) {
        this(DSL.using(dataSource, SQLDialect.POSTGRES), clickHouse);
    }

    private Reconciler(DSLContext db, ClickHouse clickHouse) {
        this.db = db;
        this.clickHouse = clickHouse;
    }

    /**
     * Days from {@code from} to {@code to}, both included. The Postgres side is read in one snapshot;
     * a batch that reaches ClickHouse between that snapshot and the ClickHouse queries shows up as a
     * difference on a day that still has pending events, and is gone on the next run.
     */
    public ReconcileReport reconcile(LocalDate from, LocalDate to) {
        LocalDate end = to.plusDays(1);
        record PostgresSide(Map<LocalDate, ReconcileReport.Totals> written, Map<LocalDate, Long> pending,
                            Map<LocalDate, Long> dead) {
        }
        PostgresSide pg = db.transactionResult(tx -> {
            tx.dsl().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            Reconciler inSnapshot = new Reconciler(tx.dsl(), clickHouse);
            return new PostgresSide(inSnapshot.written(from, end), inSnapshot.pending(from, end),
                    inSnapshot.deadLettered(from, end));
        });
        Map<LocalDate, ReconcileReport.Totals> written = pg.written();
        Map<LocalDate, Long> pending = pg.pending();
        Map<LocalDate, Long> dead = pg.dead();
        Map<LocalDate, ReconcileReport.Totals> raw = clickHouse(RAW, Map.of(
                "from", from + " 00:00:00.000", "to", end + " 00:00:00.000"));
        Map<LocalDate, ReconcileReport.Totals> rollup = clickHouse(ROLLUP, Map.of("from", from.toString(),
                "to", end.toString()));

        TreeMap<LocalDate, Boolean> days = new TreeMap<>();
        for (Map<LocalDate, ?> m : List.of(written, raw, rollup, pending, dead)) {
            m.keySet().forEach(d -> days.put(d, true));
        }
        List<ReconcileReport.Day> out = new ArrayList<>();
        for (LocalDate d : days.keySet()) {
            out.add(new ReconcileReport.Day(d, written.getOrDefault(d, ReconcileReport.Totals.ZERO),
                    raw.getOrDefault(d, ReconcileReport.Totals.ZERO), rollup.getOrDefault(d, ReconcileReport.Totals.ZERO),
                    pending.getOrDefault(d, 0L), dead.getOrDefault(d, 0L)));
        }
        return new ReconcileReport(from, to, out);
    }

    private Map<LocalDate, ReconcileReport.Totals> written(LocalDate from, LocalDate end) {
        Map<LocalDate, ReconcileReport.Totals> out = new TreeMap<>();
        db.select(USAGE_WRITTEN_DAY.DAY, sum(USAGE_WRITTEN_DAY.EVENTS), sum(USAGE_WRITTEN_DAY.PROMPT_TOKENS),
                        sum(USAGE_WRITTEN_DAY.COMPLETION_TOKENS), sum(USAGE_WRITTEN_DAY.TOTAL_TOKENS),
                        sum(USAGE_WRITTEN_DAY.COST_USD))
                .from(USAGE_WRITTEN_DAY)
                .where(USAGE_WRITTEN_DAY.DAY.ge(from)).and(USAGE_WRITTEN_DAY.DAY.lt(end))
                .groupBy(USAGE_WRITTEN_DAY.DAY)
                .forEach(r -> out.put(r.value1(), new ReconcileReport.Totals(r.value2().longValueExact(),
                        r.value3().longValueExact(), r.value4().longValueExact(), r.value5().longValueExact(),
                        r.value6())));
        return out;
    }

    /** Accepted events not yet written: in unwritten batches, or past the last batch. */
    private Map<LocalDate, Long> pending(LocalDate from, LocalDate end) {
        Map<LocalDate, Long> out = new TreeMap<>();
        Field<LocalDate> day = DSL.field("({0} AT TIME ZONE 'UTC')::date", SQLDataType.LOCALDATE, USAGE_EVENT.EVENT_TIME);
        OffsetDateTime lo = from.atStartOfDay().atOffset(ZoneOffset.UTC);
        OffsetDateTime hi = end.atStartOfDay().atOffset(ZoneOffset.UTC);
        List<UsageBatchRecord> unwritten = db.selectFrom(USAGE_BATCH).where(USAGE_BATCH.WRITTEN_AT.isNull())
                .and(USAGE_BATCH.MAX_EVENT_TIME.ge(lo)).and(USAGE_BATCH.MIN_EVENT_TIME.lt(hi)).fetch();
        for (UsageBatchRecord b : unwritten) {
            for (Record2<LocalDate, Integer> r : db.select(day, count()).from(USAGE_EVENT)
                    .where(row(USAGE_EVENT.TX_ID, USAGE_EVENT.SEQ).gt(b.getAfterTx(), b.getAfterSeq()))
                    .and(row(USAGE_EVENT.TX_ID, USAGE_EVENT.SEQ).le(b.getLastTx(), b.getLastSeq()))
                    .and(USAGE_EVENT.EVENT_TIME.ge(lo)).and(USAGE_EVENT.EVENT_TIME.lt(hi))
                    .and(USAGE_EVENT.EVENT_ID.notIn(db.select(USAGE_DEAD_LETTER.EVENT_ID).from(USAGE_DEAD_LETTER)
                            .where(USAGE_DEAD_LETTER.BATCH_ID.eq(b.getBatchId()))))
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

    private Map<LocalDate, Long> deadLettered(LocalDate from, LocalDate end) {
        Map<LocalDate, Long> out = new TreeMap<>();
        Field<LocalDate> day = DSL.field("({0} AT TIME ZONE 'UTC')::date", SQLDataType.LOCALDATE,
                USAGE_DEAD_LETTER.EVENT_TIME);
        db.select(day, count()).from(USAGE_DEAD_LETTER)
                .where(USAGE_DEAD_LETTER.EVENT_TIME.ge(from.atStartOfDay().atOffset(ZoneOffset.UTC)))
                .and(USAGE_DEAD_LETTER.EVENT_TIME.lt(end.atStartOfDay().atOffset(ZoneOffset.UTC)))
                .groupBy(day)
                .forEach(r -> out.put(r.value1(), r.value2().longValue()));
        return out;
    }

    private Map<LocalDate, ReconcileReport.Totals> clickHouse(String sql, Map<String, String> params) {
        Map<LocalDate, ReconcileReport.Totals> out = new TreeMap<>();
        for (Row r : clickHouse.query(sql, params)) {
            BigDecimal cost = r.decimal("cost");
            out.put(r.date("day"), new ReconcileReport.Totals(r.int64("events"), r.int64("prompt"),
                    r.int64("completion"), r.int64("total"), cost == null ? BigDecimal.ZERO : cost));
        }
        return out;
    }
}
