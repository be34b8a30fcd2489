package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.usage.Measure;
import dev.tokenledger.usage.RollupRepair;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.UUID;

/**
 * What the ledger's integrity machinery costs at scale, on {@value QueriesScenario#FULL_ROWS} rows in llm_usage
 * (quick: {@value QueriesScenario#QUICK_ROWS}) generated as in the queries scenario:
 * <ul>
 *   <li>a retry's presence check (which months of batch N arrived) and a late-duplicate lookup (which of 1,000
 *       event ids llm_usage holds), each answered from llm_usage's projections (V5) against the same query with
 *       projections switched off, the design before them: rows read and milliseconds;</li>
 *   <li>the repair of one rollup month: {@link RollupRepair#repairMonth} on the month with the most rows, after a
 *       part of its rollup was deleted, against one reconcile of that month (the check alone).</li>
 * </ul>
 * The queries are the writer's (BatchWriter.MONTHS_PRESENT and LateDuplicates.LOOKUP, package-private there and
 * checked to use the projections by ExactlyOnceContract); they are written out here with the same shape.
 */
final class IntegrityScenario implements Scenario {
    private static final long CHUNK = 1_000_000;
    private static final int IDS = 1_000;
    private static final String PRESENCE = """
            SELECT toYYYYMM(event_time) AS month, count() AS events
            FROM llm_usage
            WHERE batch_id = {batch:UInt64} AND ingested_at = {ingested:DateTime64(3, 'UTC')}
              AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time <= {to:DateTime64(3, 'UTC')}
            GROUP BY month""";
    private static final String LOOKUP = """
            SELECT toString(event_id) AS id, min(batch_id) AS original_batch
            FROM llm_usage
            WHERE event_time >= {from:DateTime64(3, 'UTC')} AND event_time <= {to:DateTime64(3, 'UTC')}
              AND event_id IN {ids:Array(UUID)}
              AND NOT (batch_id = {batch:UInt64} AND ingested_at = {ingested:DateTime64(3, 'UTC')})
            GROUP BY event_id""";

    @Override
    public String name() {
        return "integrity";
    }

    @Override
    public String description() {
        return "retry and late-duplicate lookups (projections vs scans) and a rollup month's repair at "
                + QueriesScenario.FULL_ROWS / 1_000_000 + "M rows";
    }

    @Override
    public void run(BenchContext ctx, ScenarioResult result) throws Exception {
        BenchProgress progress = ctx.progress();
        long rows = ctx.count(QueriesScenario.QUICK_ROWS, QueriesScenario.FULL_ROWS);
        try (Ledger ledger = ctx.env().openLedger("integrity", Ledger.Mode.CLIENT)) {
            ClickHouse ch = ledger.clickHouse();
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            for (long offset = 0; offset < rows; offset += CHUNK) {
                long done = offset;
                progress.step("generating " + rows + " rows inside ClickHouse",
                        () -> String.format(Locale.US, "%,d rows", done));
                ch.execute(QueriesScenario.generate(offset, Math.min(CHUNK, rows - offset), now));
            }
            progress.step("letting background merges settle");
            QueriesScenario.settle(ch, ctx.quick() ? 1 : 20);
            int runs = ctx.count(5, 20);
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("rows", rows);

            // A retry's presence check, for a batch in the middle of the table.
            long batch = rows / 20_000 / 2;
            Row b = ch.query("SELECT toString(min(ingested_at)) AS t, toString(min(event_time)) AS lo,"
                    + " toString(max(event_time)) AS hi FROM llm_usage WHERE batch_id = {b:UInt64}",
                    Map.of("b", Long.toString(batch))).getFirst();
            Map<String, String> presenceParams = Map.of("batch", Long.toString(batch), "ingested", b.string("t"),
                    "from", b.string("lo"), "to", b.string("hi"));
            progress.step("timing the retry's presence check (projection vs scan)");
            Stats presence = stats(ch, PRESENCE, presenceParams, runs, true);
            Stats presenceScan = stats(ch, PRESENCE, presenceParams, runs, false);
            result.add(Figure.of("presence_rows_read", "retry presence check: rows read", presence.rowsRead, "rows",
                    Figure.Better.LOWER).baseline(presenceScan.rowsRead, "the same query without projections"));
            result.add(Figure.of("presence_ms", "retry presence check: median", presence.medianMs, "ms",
                    Figure.Better.LOWER).baseline(presenceScan.medianMs, "the same query without projections"));

            // A late-duplicate lookup as a replay makes it: 1,000 events of one stretch of time (an hour, 5 days
            // back), half of them already written, half new.
            Map<String, String> since = Map.of("t", now.minus(java.time.Duration.ofDays(5)).toString().replace('T', ' ')
                    .replace("Z", ""));
            List<Row> replayed = ch.query("SELECT toString(event_id) AS id, toString(event_time) AS t FROM llm_usage"
                    + " WHERE event_time >= {t:DateTime64(3, 'UTC')} ORDER BY event_time LIMIT " + IDS / 2, since);
            StringJoiner ids = new StringJoiner(",", "[", "]");
            replayed.forEach(r -> ids.add("'" + r.string("id") + "'"));
            for (int i = 0; i < IDS / 2; i++) {
                ids.add("'" + UUID.randomUUID() + "'");
            }
            Map<String, String> lookupParams = Map.of("ids", ids.toString(), "batch", "0",
                    "ingested", "2000-01-01 00:00:00.000", "from", replayed.getFirst().string("t"),
                    "to", replayed.getLast().string("t"));
            progress.step("timing a late-duplicate lookup of 1,000 ids (projection vs scan)");
            Stats lookup = stats(ch, LOOKUP, lookupParams, runs, true);
            Stats lookupScan = stats(ch, LOOKUP, lookupParams, runs, false);
            result.add(Figure.of("late_duplicate_lookup_rows_read", "late-duplicate lookup, 1,000 ids: rows read",
                    lookup.rowsRead, "rows", Figure.Better.LOWER)
                    .baseline(lookupScan.rowsRead, "the same query without projections"));
            result.add(Figure.of("late_duplicate_lookup_ms", "late-duplicate lookup, 1,000 ids: median", lookup.medianMs,
                    "ms", Figure.Better.LOWER).baseline(lookupScan.medianMs, "the same query without projections"));

            // The repair of the month with the most rows.
            Row m = ch.query("SELECT toYYYYMM(event_time) AS month, count() AS n FROM llm_usage GROUP BY month"
                    + " ORDER BY n DESC LIMIT 1").getFirst();
            int month = (int) m.int64("month");
            data.put("repaired_month", month);
            data.put("repaired_month_rows", m.int64("n"));
            progress.step("recording the month's written totals in PostgreSQL");
            writtenTotalsAsInClickHouse(ledger, month);
            double reconcileMs = 0;
            for (int i = 0; i < 3; i++) {
                long t = System.nanoTime();
                ledger.reconciler().reconcileMonth(month);
                reconcileMs = i == 0 ? Double.MAX_VALUE : Math.min(reconcileMs, (System.nanoTime() - t) / 1e6);
            }
            ch.execute("ALTER TABLE llm_usage_daily DELETE WHERE toYYYYMM(day) = " + month
                    + " AND user_id = 'user-1' SETTINGS mutations_sync = 2");
            if (ledger.reconciler().reconcileMonth(month).rollupDifferences().isEmpty()) {
                throw new IllegalStateException("deleting user-1's rollup rows of " + month + " left no difference");
            }
            progress.step("repairing rollup month " + month);
            long t = System.nanoTime();
            RollupRepair.Outcome outcome = ledger.rollupRepair().repairMonth(month, "bench");
            double repairMs = (System.nanoTime() - t) / 1e6;
            if (!outcome.rebuilt() || !outcome.ok()) {
                throw new IllegalStateException("the repair of " + month + " did not end clean: " + outcome.detail()
                        + " " + outcome.after());
            }
            result.add(Figure.of("month_repair_s", "rollup month repair (" + String.format(Locale.US, "%,d",
                    m.int64("n")) + " rows)", repairMs / 1e3, "s", Figure.Better.LOWER)
                    .baseline(reconcileMs / 1e3, "one reconcile of the same month"));
            data.put("presence", presence.json());
            data.put("presence_without_projections", presenceScan.json());
            data.put("late_duplicate_lookup", lookup.json());
            data.put("late_duplicate_lookup_without_projections", lookupScan.json());
            result.detail("data", data);
            result.note(String.format(Locale.US, "presence check reads %,d rows (%,d without projections); a"
                            + " 1,000-id late-duplicate lookup %,d (%,d); month %d (%,d rows) repaired in %.1f s",
                    presence.rowsRead, presenceScan.rowsRead, lookup.rowsRead, lookupScan.rowsRead, month,
                    m.int64("n"), repairMs / 1e3));
        }
    }

    /**
     * Median time of {@code runs} runs (after one warm-up), with or without projections, and the rows the query reads:
     * {@code EXPLAIN ESTIMATE} of the same query and settings, the rows of the granules its index analysis selects
     * (summed over the tables it reads), which is what ClickHouse counts as rows read for these lookups.
     */
    private static Stats stats(ClickHouse ch, String sql, Map<String, String> params, int runs, boolean projections) {
        // Without the query condition cache (26.x), which remembers granules a filter excluded and would make
        // every repetition of the same lookup read almost nothing.
        String q = sql + "\nSETTINGS use_query_condition_cache = 0, optimize_use_projections = "
                + (projections ? 1 : 0);
        double[] ms = new double[runs];
        for (int i = -1; i < runs; i++) {
            long t = System.nanoTime();
            ch.query(q, params);
            if (i >= 0) {
                ms[i] = (System.nanoTime() - t) / 1e6;
            }
        }
        long rowsRead = 0;
        for (Row r : ch.query("EXPLAIN ESTIMATE " + q, params)) {
            rowsRead += r.int64("rows");
        }
        Arrays.sort(ms);
        return new Stats(ms[ms.length / 2], rowsRead);
    }

    private record Stats(double medianMs, long rowsRead) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("median_ms", Latencies.round(medianMs));
            m.put("rows_read", rowsRead);
            return m;
        }
    }

    /**
     * PostgreSQL's written totals for the month, as if the generated rows had been written by one batch: the state
     * a repair expects (llm_usage agrees with PostgreSQL; only the rollup may not).
     */
    private static void writtenTotalsAsInClickHouse(Ledger ledger, int month) throws SQLException {
        List<String> columns = new ArrayList<>();
        StringJoiner select = new StringJoiner(", ");
        for (Measure x : Measure.values()) {
            columns.add(x.column());
            select.add(x.rawAggregate() + " AS " + x.column());
        }
        List<Row> days = ledger.clickHouse().query("SELECT toString(toDate(event_time)) AS day, " + select
                + " FROM llm_usage WHERE toYYYYMM(event_time) = {m:UInt32} GROUP BY day", Map.of("m",
                Integer.toString(month)));
        LocalDate first = LocalDate.of(month / 100, month % 100, 1);
        try (Connection c = ledger.postgres().dataSource().getConnection()) {
            c.setAutoCommit(false);
            long batchId;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO usage_batch (after_tx, after_seq, last_tx,"
                    + " last_seq, event_count, min_event_time, max_event_time, sealed_at, written_at, written_events)"
                    + " VALUES (0, 0, 0, 1, 1, ?, ?, now(), now(), 0) RETURNING batch_id")) {
                ps.setObject(1, first.atStartOfDay().atOffset(java.time.ZoneOffset.UTC));
                ps.setObject(2, first.plusMonths(1).atStartOfDay().minusSeconds(1).atOffset(java.time.ZoneOffset.UTC));
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    batchId = rs.getLong(1);
                }
            }
            String insert = "INSERT INTO usage_written_day (batch_id, day, accepted_events, dead_lettered_events,"
                    + " duplicate_events, " + String.join(", ", columns) + ") VALUES (?, ?::date, ?, 0, 0"
                    + ", ?".repeat(columns.size()) + ")";
            try (PreparedStatement ps = c.prepareStatement(insert)) {
                for (Row d : days) {
                    ps.setLong(1, batchId);
                    ps.setString(2, d.string("day"));
                    ps.setLong(3, d.int64(Measure.EVENTS.column()));
                    for (int i = 0; i < columns.size(); i++) {
                        ps.setBigDecimal(4 + i, d.decimal(columns.get(i)));
                    }
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            c.commit();
        }
    }
}
