package dev.tokenledger.usage;

import static dev.tokenledger.postgres.schema.Tables.USAGE_BATCH;
import static dev.tokenledger.postgres.schema.Tables.USAGE_REPRICE_CHUNK;
import static dev.tokenledger.postgres.schema.Tables.USAGE_ROLLUP_REPAIR;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ClickHouseTopology;
import dev.tokenledger.clickhouse.Identifiers;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.clickhouse.StagingTable;
import java.time.Duration;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds a month of every rollup from llm_usage and its adjustments, exactly, when reconcile finds a rollup that
 * disagrees with them while llm_usage agrees with PostgreSQL. That happens when ClickHouse dies inside a rollup's
 * own commit window (a plain MergeTree writes an insert's token to its deduplication log before it commits the
 * part, so every re-send of that block is dropped), or when a retry comes too late to re-send a block safely.
 *
 * <p>How: under the month's exclusive lock ({@link MonthLocks}; every usage_write attempt and every reprice day
 * holds its month shared until it is recorded), it checks again, then runs each of the rollup's views' own SELECT
 * over its source's month ({@code additional_table_filters}) into a staging table, and swaps the month in with
 * {@code ALTER TABLE … REPLACE PARTITION}, atomically for readers. It refuses while a batch or a reprice day of
 * the month has been attempted and is not recorded: it may send its blocks again, and a view block whose token
 * never reached the rollup's deduplication log would then count twice. What was never attempted has sent nothing
 * and is safe. {@code REPLACE PARTITION} keeps the rollup's deduplication log (checked on chDB 26.7), so tokens
 * seen before the rebuild stay seen. Every rebuild is recorded in usage_rollup_repair.
 *
 * <p>On a ClickHouse cluster ({@link StagingTable} says how) the month is read from every shard through the Distributed
 * tables, staged on the shard its inserts go to, and swapped in there with {@code REPLACE PARTITION … ON CLUSTER},
 * which also empties the month on every other shard; Keeper keeps the replicated deduplication tokens through it.
 *
 * <p>Safe to use from many threads: repairs of one month take turns.
 */
public final class RollupRepair {
    private static final Logger LOG = LoggerFactory.getLogger(RollupRepair.class);
    /** How long a repair waits for the month's writers (each holds it for one batch). */
    static final Duration LOCK_WAIT = Duration.ofMinutes(2);
    /** llm_usage keeps 13 months (V1's TTL): an older month cannot be rebuilt from it. */
    static final int RAW_MONTHS = 13;

    private final DataSource dataSource;
    private final DSLContext db;
    private final ClickHouse clickHouse;
    private final Reconciler reconciler;
    private final InstantSource clock;
    private final List<Rollups.Rollup> rollups;

    RollupRepair(DataSource dataSource, ClickHouse clickHouse, InstantSource clock) {
        this.dataSource = dataSource;
        this.db = DSL.using(dataSource, SQLDialect.POSTGRES);
        this.clickHouse = clickHouse;
        this.reconciler = new Reconciler(dataSource, clickHouse);
        this.clock = clock;
        this.rollups = Rollups.ALL;
    }

    /** How a repair of one month ended. */
    public record Outcome(int month, boolean rebuilt, String detail, List<ReconcileReport.Difference> before,
                          List<ReconcileReport.Difference> after) {
        /** Rebuilt and clean afterwards, or nothing to do. */
        public boolean ok() {
            return after.stream().noneMatch(d -> !d.table().equals(ReconcileReport.Difference.RAW)
                    && !d.table().equals(ReconcileReport.Difference.ADJUSTMENTS)
                    && !d.table().equals(ReconcileReport.Difference.ACCOUNTING));
        }
    }

    /**
     * Checks the month under its exclusive lock and rebuilds the rollups that disagree with llm_usage, if llm_usage
     * agrees with PostgreSQL on those days and no batch of the month is half-written.
     *
     * @param requestedBy who asked ({@code usage_reconcile}, {@code cli}), kept in usage_rollup_repair
     */
    public Outcome repairMonth(int month, String requestedBy) {
        LocalDate first = LocalDate.of(month / 100, month % 100, 1);
        if (first.isBefore(LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).withDayOfMonth(1).minusMonths(RAW_MONTHS))) {
            return new Outcome(month, false, "older than llm_usage's " + RAW_MONTHS + "-month retention: the raw rows"
                    + " a rebuild needs are gone", List.of(), List.of());
        }
        try (MonthLocks lock = MonthLocks.acquire(dataSource, List.of(month), false, LOCK_WAIT)) {
            return repairLocked(month, first, requestedBy);
        }
    }

    /** {@link #repairMonth} for a caller that holds the month's exclusive lock already (an erasure). */
    Outcome repairLocked(int month, String requestedBy) {
        return repairLocked(month, LocalDate.of(month / 100, month % 100, 1), requestedBy);
    }

    private Outcome repairLocked(int month, LocalDate first, String requestedBy) {
        {
            ReconcileReport report = reconciler.reconcileMonth(month);
            List<ReconcileReport.Difference> rollupDiffs = report.rollupDifferences();
            if (rollupDiffs.isEmpty()) {
                return new Outcome(month, false, "every rollup agrees with llm_usage", report.differences(),
                        report.differences());
            }
            String reason = summary(rollupDiffs);
            List<String> halfWritten = halfWritten(first);
            if (!halfWritten.isEmpty()) {
                String why = "not rebuilt yet: " + halfWritten + " of this month were attempted and are not written;"
                        + " a retry may send their blocks again";
                recordSkipped(month, requestedBy, reason, why);
                return new Outcome(month, false, why, rollupDiffs, rollupDiffs);
            }
            List<LocalDate> rawOff = report.differences().stream()
                    .filter(d -> d.table().equals(ReconcileReport.Difference.RAW)).map(ReconcileReport.Difference::day)
                    .distinct().toList();
            if (!rawOff.isEmpty()) {
                String why = "not rebuilt: llm_usage itself disagrees with PostgreSQL on " + rawOff
                        + " (a rollup rebuilt from it would be wrong too)";
                recordSkipped(month, requestedBy, reason, why);
                return new Outcome(month, false, why, rollupDiffs, rollupDiffs);
            }
            List<String> tables = rollupDiffs.stream().map(ReconcileReport.Difference::table).distinct().toList();
            for (Rollups.Rollup rollup : rollups) {
                if (tables.contains(rollup.table())) {
                    rebuild(rollup, month, first, requestedBy, reason);
                }
            }
            ReconcileReport after = reconciler.reconcileMonth(month);
            LOG.warn("rebuilt {} for month {} from llm_usage ({}); differences left: {}", tables, month, reason,
                    after.rollupDifferences().size());
            return new Outcome(month, true, "rebuilt " + String.join(", ", tables), rollupDiffs,
                    after.differences());
        }
    }

    /**
     * What may still send a block into the month: batches with events in it that an attempt started on and that
     * are not marked written, and reprice chunks of it that an attempt started on and that are not done.
     */
    private List<String> halfWritten(LocalDate first) {
        List<String> out = new ArrayList<>();
        db.select(USAGE_BATCH.BATCH_ID).from(USAGE_BATCH)
                .where(USAGE_BATCH.WRITTEN_AT.isNull()).and(USAGE_BATCH.ATTEMPTS.gt(0))
                .and(USAGE_BATCH.MIN_EVENT_TIME.lt(first.plusMonths(1).atStartOfDay().atOffset(ZoneOffset.UTC)))
                .and(USAGE_BATCH.MAX_EVENT_TIME.ge(first.atStartOfDay().atOffset(ZoneOffset.UTC)))
                .orderBy(USAGE_BATCH.BATCH_ID).limit(20)
                .forEach(r -> out.add("batch " + r.value1()));
        db.select(USAGE_REPRICE_CHUNK.RUN_ID, USAGE_REPRICE_CHUNK.SEQ).from(USAGE_REPRICE_CHUNK)
                .where(USAGE_REPRICE_CHUNK.DONE_AT.isNull()).and(USAGE_REPRICE_CHUNK.ATTEMPTS.gt(0))
                .and(USAGE_REPRICE_CHUNK.MONTH.eq(first.getYear() * 100 + first.getMonthValue()))
                .orderBy(USAGE_REPRICE_CHUNK.RUN_ID, USAGE_REPRICE_CHUNK.SEQ).limit(20)
                .forEach(r -> out.add("reprice run " + r.value1() + " chunk " + r.value2()));
        return out;
    }

    private void rebuild(Rollups.Rollup rollup, int month, LocalDate first, String requestedBy, String reason) {
        long repairId = db.insertInto(USAGE_ROLLUP_REPAIR)
                .set(USAGE_ROLLUP_REPAIR.MONTH, month)
                .set(USAGE_ROLLUP_REPAIR.ROLLUP_TABLE, rollup.table())
                .set(USAGE_ROLLUP_REPAIR.REQUESTED_BY, requestedBy)
                .set(USAGE_ROLLUP_REPAIR.REASON, reason)
                .set(USAGE_ROLLUP_REPAIR.STARTED_AT, clock.instant().atOffset(ZoneOffset.UTC))
                .set(USAGE_ROLLUP_REPAIR.EVENTS_BEFORE, events(rollup.table(), month))
                .returning(USAGE_ROLLUP_REPAIR.REPAIR_ID).fetchSingle().getRepairId();
        String filter = "event_time >= '" + first + " 00:00:00' AND event_time < '" + first.plusMonths(1) + " 00:00:00'";
        ClickHouseTopology topology = ClickHouseTopology.migratedAs(clickHouse, rollup.table());
        try (StagingTable staging = StagingTable.create(clickHouse, topology, rollup.table(),
                rollup.table() + "_rebuild_" + month)) {
            // Each view's own SELECT (one definition of the rollup), read from its source's month only. No
            // deduplication: the staging table is new, and two identical blocks of it are both real.
            for (Rollups.Feed feed : rollup.feeds()) {
                String select = viewSelect(feed.view());
                String settings = " SETTINGS insert_deduplicate = 0, max_threads = 1";
                if (topology.clustered()) {
                    // The view reads its shard's local table; the rebuild reads the month from every shard through the
                    // Distributed table (a month written before a change of the shard count may be on two), and the
                    // insert lands on the shard the month's inserts go to now.
                    select = fromDistributedSource(select, feed.source(), topology, filter);
                    settings += ", distributed_foreground_insert = 1";
                } else {
                    settings += ", additional_table_filters = {'" + feed.source() + "': "
                            + Identifiers.stringLiteral(filter) + "}";
                }
                clickHouse.execute("INSERT INTO " + Identifiers.quoted(staging.name(), "staging table") + " "
                        + viewColumns(feed.view()) + " " + select + settings);
            }
            staging.replacePartition(Integer.toString(month));
        }
        db.update(USAGE_ROLLUP_REPAIR)
                .set(USAGE_ROLLUP_REPAIR.FINISHED_AT, clock.instant().atOffset(ZoneOffset.UTC))
                .set(USAGE_ROLLUP_REPAIR.EVENTS_AFTER, events(rollup.table(), month))
                .set(USAGE_ROLLUP_REPAIR.OUTCOME, "rebuilt")
                .where(USAGE_ROLLUP_REPAIR.REPAIR_ID.eq(repairId)).execute();
    }

    private void recordSkipped(int month, String requestedBy, String reason, String why) {
        LOG.warn("rollups of month {} disagree with llm_usage ({}); {}", month, reason, why);
        db.insertInto(USAGE_ROLLUP_REPAIR)
                .set(USAGE_ROLLUP_REPAIR.MONTH, month)
                .set(USAGE_ROLLUP_REPAIR.ROLLUP_TABLE, "")
                .set(USAGE_ROLLUP_REPAIR.REQUESTED_BY, requestedBy)
                .set(USAGE_ROLLUP_REPAIR.REASON, reason)
                .set(USAGE_ROLLUP_REPAIR.STARTED_AT, clock.instant().atOffset(ZoneOffset.UTC))
                .set(USAGE_ROLLUP_REPAIR.FINISHED_AT, clock.instant().atOffset(ZoneOffset.UTC))
                .set(USAGE_ROLLUP_REPAIR.OUTCOME, why.length() > 1000 ? why.substring(0, 1000) : why)
                .execute();
    }

    private long events(String table, int month) {
        List<Row> rows = clickHouse.query("SELECT sum(events) AS n FROM " + Identifiers.quoted(table, "rollup table")
                + " WHERE toYYYYMM(day) = {month:UInt32}", Map.of("month", Integer.toString(month)));
        return rows.isEmpty() || rows.getFirst().isNull("n") ? 0 : rows.getFirst().int64("n");
    }

    /**
     * The columns the view writes, by name: a view may fill only some of the rollup's columns (V8's extras views), and
     * the rest take their defaults, as when the view itself inserts.
     */
    private String viewColumns(String view) {
        List<Row> rows = clickHouse.query("SELECT name FROM system.columns WHERE database = currentDatabase()"
                + " AND table = {view:String} ORDER BY position", Map.of("view", view));
        return rows.stream().map(r -> Identifiers.quoted(r.string("name"), "column"))
                .collect(Collectors.joining(", ", "(", ")"));
    }

    /** The materialized view's SELECT, as ClickHouse stores it: the rollup's one definition. */
    private String viewSelect(String view) {
        List<Row> rows = clickHouse.query("SELECT as_select FROM system.tables WHERE database = currentDatabase()"
                + " AND name = {view:String}", Map.of("view", view));
        if (rows.isEmpty() || rows.getFirst().string("as_select").isBlank()) {
            throw new IllegalStateException("materialized view " + view + " not found: the ClickHouse migrations"
                    + " have not run on database '" + clickHouse.database() + "'");
        }
        return rows.getFirst().string("as_select");
    }

    /**
     * A cluster view's SELECT with its source, the shard's local table, replaced by the month's rows read through the
     * Distributed table: {@code FROM db.llm_usage_local AS u} becomes {@code FROM (SELECT * FROM db.llm_usage WHERE
     * <month>) AS u}. The subquery filters rows before the view's own WHERE and GROUP BY, wherever the Distributed
     * read runs them.
     */
    static String fromDistributedSource(String select, String source, ClickHouseTopology topology, String filter) {
        Matcher m = Pattern.compile("\\bFROM\\s+((?:`?\\w+`?\\.)?`?" + Pattern.quote(topology.localTable(source)) + "`?)(?![\\w`])",
                Pattern.CASE_INSENSITIVE).matcher(select);
        if (!m.find()) {
            throw new IllegalStateException("the view's SELECT does not read " + topology.localTable(source) + ": " + select);
        }
        String table = m.group(1);
        String distributed = table.substring(0, table.length() - (table.endsWith("`") ? 1 : 0)
                - ClickHouseTopology.LOCAL_SUFFIX.length()) + (table.endsWith("`") ? "`" : "");
        String replaced = select.substring(0, m.start(1)) + "(SELECT * FROM " + distributed + " WHERE " + filter + ")"
                + select.substring(m.end(1));
        if (m.find()) {
            throw new IllegalStateException("the view's SELECT reads " + topology.localTable(source) + " twice: " + select);
        }
        return replaced;
    }

    private static String summary(List<ReconcileReport.Difference> diffs) {
        String s = diffs.stream().limit(5).map(ReconcileReport.Difference::toString).collect(Collectors.joining("; "));
        return diffs.size() > 5 ? s + "; and " + (diffs.size() - 5) + " more" : s;
    }
}
