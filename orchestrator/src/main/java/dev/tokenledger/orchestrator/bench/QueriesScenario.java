package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.clickhouse.RowBinaryResult;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.usage.Reports;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.postgresql.PGConnection;

/**
 * The report queries at scale: {@value #FULL_ROWS} rows in llm_usage (quick: {@value #QUICK_ROWS}) spread
 * over the last 30 days, generated inside ClickHouse ({@code INSERT INTO llm_usage SELECT … FROM numbers(N)})
 * so the rollup is fed by the materialized view exactly as in production. Each report (cost by user,
 * workspace, model, agent and day over the month, top-N) is answered from the rollup and from the raw table;
 * the answers must be equal. In a full run the same rows are also copied into a usage_event-like PostgreSQL
 * table and the same aggregate timed there.
 */
final class QueriesScenario implements Scenario {
    static final long FULL_ROWS = 10_000_000;
    static final long QUICK_ROWS = 1_000_000;
    static final double TARGET_ROLLUP_P95_MS = 10;
    static final double TARGET_RAW_P95_MS = 150;
    private static final long CHUNK = 1_000_000;
    private static final int TOP = 10;
    /** The columns the PostgreSQL baseline copies: every column of usage_event that llm_usage has, and the cost. */
    static final String BASELINE_COLUMNS = "event_id, event_time, user_id, workspace_id, conversation_id, message_id,"
            + " agent_id, agent_db_id, model, provider, prompt_tokens, completion_tokens, total_tokens,"
            + " tool_use_prompt_tokens, thoughts_tokens, cached_tokens, cache_creation_tokens,"
            + " cache_creation_1h_tokens, audio_prompt_tokens, audio_completion_tokens, call_sequence, turn_id,"
            + " session_id, service_tier, cost_usd, cost_status";
    /** The PostgreSQL baseline's table: usage_event's columns, and the cost. */
    static final String BASELINE_TABLE = """
            CREATE TABLE bench_usage (LIKE usage_event INCLUDING DEFAULTS INCLUDING IDENTITY);
            ALTER TABLE bench_usage ADD COLUMN cost_usd numeric, ADD COLUMN cost_status text""";

    /** Synthetic per-token rates in 1e-12 USD (input, cached input, output), one per model; the last model is unpriced. */
    private static final long[][] RATES = {
            {2_500_000, 1_250_000, 10_000_000}, {150_000, 75_000, 600_000}, {1_100_000, 275_000, 4_400_000},
            {3_000_000, 300_000, 15_000_000}, {1_000_000, 100_000, 5_000_000}, {1_250_000, 310_000, 10_000_000},
            {300_000, 75_000, 2_500_000}, {270_000, 70_000, 1_100_000}, {0, 0, 0}};

    @Override
    public String name() {
        return "queries";
    }

    @Override
    public String description() {
        return "report queries (cost by user/workspace/model/agent/day, top-N) from the rollup vs the raw table at "
                + FULL_ROWS / 1_000_000 + "M rows";
    }

    @Override
    public void run(BenchContext ctx, ScenarioResult result) throws Exception {
        BenchProgress progress = ctx.progress();
        long rows = ctx.count(QUICK_ROWS, FULL_ROWS);
        String database = ctx.env().databaseName("queries");
        try (ClickHouse ch = ctx.env().openClickHouse(database, true)) {
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            long t0 = System.nanoTime();
            for (long offset = 0; offset < rows; offset += CHUNK) {
                long done = offset;
                progress.step("generating " + rows + " rows inside ClickHouse",
                        () -> String.format(Locale.US, "%,d rows", done));
                ch.execute(generate(offset, Math.min(CHUNK, rows - offset), now));
            }
            double generateSeconds = (System.nanoTime() - t0) / 1e9;
            long raw = ch.query("SELECT count() AS n FROM llm_usage").getFirst().int64("n");
            if (raw != rows) {
                throw new IllegalStateException("generated " + raw + " rows, expected " + rows);
            }
            progress.step("letting background merges settle");
            settle(ch, ctx.quick() ? 1 : 20);
            Map<String, Object> unmerged = tables(ch);
            LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
            // The heaviest rollup question of those measured below.
            Reports.Query heaviest = new Reports.Query(Reports.By.MODEL, today.minusDays(30), today, "ws-7", null, null,
                    TOP);
            double[] unmergedMs = new double[ctx.count(3, 20)];
            Reports probeReports = new Reports(ch);
            for (int i = -1; i < unmergedMs.length; i++) {
                long a = System.nanoTime();
                probeReports.run(heaviest, Reports.Source.ROLLUP);
                if (i >= 0) {
                    unmergedMs[i] = (System.nanoTime() - a) / 1e6;
                }
            }
            // Each generated chunk touches every (day, user, agent, model) key of the month, so until merged the
            // rollup holds each key once per chunk. Production inserts touch the current day's keys only, and
            // background merges fold a month into one row per key: measure that state.
            progress.step("merging the rollup (OPTIMIZE TABLE llm_usage_daily FINAL)");
            long m0 = System.nanoTime();
            ch.execute("OPTIMIZE TABLE llm_usage_daily FINAL");
            double optimizeSeconds = (System.nanoTime() - m0) / 1e9;
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("rows", rows);
            data.put("generate_seconds", Latencies.round(generateSeconds));
            data.put("generate_rows_per_s", Math.round(rows / generateSeconds));
            data.put("organisation", BenchTraffic.USERS + " users in " + BenchTraffic.WORKSPACES
                    + " workspaces, 2 agents and 3 of 9 models per user, 30 days");
            data.put("tables_before_merging_the_rollup", unmerged);
            data.put("rollup_optimize_final_seconds", Latencies.round(optimizeSeconds));
            data.put("tables", tables(ch));
            data.put("raw_columns_read_uncompressed_bytes", ch.query("""
                    SELECT sum(data_uncompressed_bytes) AS b FROM system.columns
                    WHERE database = currentDatabase() AND table = 'llm_usage'
                      AND name IN ('event_time', 'user_id', 'prompt_tokens', 'completion_tokens', 'cached_tokens',
                                   'cache_creation_tokens', 'cache_creation_1h_tokens', 'thoughts_tokens',
                                   'total_tokens', 'cost_usd', 'cost_status')""").getFirst().int64("b"));
            result.detail("data", data);

            LocalDate to = LocalDate.ofInstant(now, ZoneOffset.UTC);
            LocalDate from = to.minusDays(30);
            List<Reports.Query> queries = List.of(
                    new Reports.Query(Reports.By.USER, from, to, null, null, null, TOP),
                    new Reports.Query(Reports.By.WORKSPACE, from, to, null, null, null, TOP),
                    new Reports.Query(Reports.By.MODEL, from, to, null, null, null, TOP),
                    new Reports.Query(Reports.By.AGENT, from, to, null, null, null, TOP),
                    new Reports.Query(Reports.By.DAY, from, to, null, null, null, 100),
                    new Reports.Query(Reports.By.USER, from, to, "ws-7", null, null, TOP),
                    new Reports.Query(Reports.By.MODEL, from, to, "ws-7", null, null, TOP));
            Reports reports = new Reports(ch);
            // The design before V9, in the same run: the same reports from the rollup's own rows.
            Reports withoutProjections = new Reports(ch.withQuerySettings("optimize_use_projections = 0"));
            int runs = ctx.count(5, 40);
            List<Map<String, Object>> perQuery = new ArrayList<>();
            double worstRollup = 0;
            double worstUnprojected = 0;
            double worstRaw = 0;
            double ratioProduct = 1;
            CpuMeter cpu = ctx.env().cpuMeter();
            long rawCpuNanos = 0;
            long rawWallNanos = 0;
            Map<String, Reports.Report> rawAnswers = new LinkedHashMap<>();
            for (Reports.Query q : queries) {
                String label = label(q);
                progress.step("timing " + label + " (rollup, rollup without projections, raw; " + runs + " runs each)");
                double[] rollupMs = new double[runs];
                double[] unprojectedMs = new double[runs];
                double[] rawMs = new double[runs];
                Reports.Report rollupAnswer = null;
                Reports.Report unprojectedAnswer = null;
                Reports.Report rawAnswer = null;
                for (int i = ctx.quick() ? -1 : -3; i < runs; i++) { // warm-up runs first
                    long a = System.nanoTime();
                    rollupAnswer = reports.run(q, Reports.Source.ROLLUP);
                    long b = System.nanoTime();
                    unprojectedAnswer = withoutProjections.run(q, Reports.Source.ROLLUP);
                    long c = System.nanoTime();
                    CpuMeter.Sample before = cpu.sample();
                    rawAnswer = reports.run(q, Reports.Source.RAW);
                    CpuMeter.Sample after = cpu.sample();
                    if (i >= 0) {
                        rollupMs[i] = (b - a) / 1e6;
                        unprojectedMs[i] = (c - b) / 1e6;
                        rawMs[i] = (after.nanoTime() - before.nanoTime()) / 1e6;
                        rawCpuNanos += after.javaCpuNanos() - before.javaCpuNanos();
                        rawWallNanos += after.nanoTime() - before.nanoTime();
                    }
                }
                if (!rollupAnswer.lines().equals(rawAnswer.lines())
                        || !rollupAnswer.lines().equals(unprojectedAnswer.lines())) {
                    throw new IllegalStateException(label + ": the rollup and the raw table disagree:\n  rollup "
                            + rollupAnswer.lines() + "\n  rollup without projections " + unprojectedAnswer.lines()
                            + "\n  raw    " + rawAnswer.lines());
                }
                rawAnswers.put(label, rawAnswer);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("query", label);
                m.put("lines", rollupAnswer.lines().size());
                m.put("answers_equal", true);
                m.put("rollup_ms", percentiles(rollupMs));
                m.put("rollup_rows_read", rowsRead(ch, q, ""));
                m.put("rollup_without_projections_ms", percentiles(unprojectedMs));
                m.put("rollup_without_projections_rows_read", rowsRead(ch, q, "optimize_use_projections = 0"));
                m.put("raw_ms", percentiles(rawMs));
                perQuery.add(m);
                double rollupP95 = percentile(rollupMs, 95);
                double unprojectedP95 = percentile(unprojectedMs, 95);
                double rawP95 = percentile(rawMs, 95);
                worstRollup = Math.max(worstRollup, rollupP95);
                worstUnprojected = Math.max(worstUnprojected, unprojectedP95);
                worstRaw = Math.max(worstRaw, rawP95);
                ratioProduct *= rawP95 / rollupP95;
                result.add(Figure.of("rollup_p95_ms_" + q.by().label() + (q.workspace() == null ? "" : "_in_workspace"),
                                label + String.format(Locale.US, ": p95 from llm_usage_daily (raw table: %.0f ms)", rawP95),
                                rollupP95, "ms", Figure.Better.LOWER)
                        .baseline(unprojectedP95, "the same answer from llm_usage_daily without its projections"));
            }
            result.detail("queries", perQuery);
            result.add(Figure.of("rollup_p95_ms", "worst rollup p95 (all reports)", worstRollup, "ms",
                    Figure.Better.LOWER).target(Figure.Target.atMost(TARGET_ROLLUP_P95_MS))
                    .baseline(worstUnprojected, "without projections (the previous design)"));
            result.add(Figure.of("raw_p95_ms", "worst raw-table p95 (all reports)", worstRaw, "ms",
                    Figure.Better.LOWER).target(Figure.Target.atMost(TARGET_RAW_P95_MS)));
            result.add(Figure.of("raw_cores_busy", "raw-table reports: cores busy while they run (JVM incl. chDB)",
                    (double) rawCpuNanos / rawWallNanos, "cores", Figure.Better.HIGHER));
            result.add(Figure.of("rollup_unmerged_p95_ms", "cost by model in one workspace (llm_usage_daily) before"
                            + " the merge: p95",
                    percentile(unmergedMs, 95), "ms", Figure.Better.LOWER));
            result.add(Figure.of("raw_over_rollup", "raw p95 / rollup p95 (geometric mean)",
                    Math.pow(ratioProduct, 1.0 / queries.size()), "x", Figure.Better.HIGHER));
            fixedCost(ctx, result, ch, reports, to);
            result.note("every report gave the same answer from llm_usage_daily, from its rows without projections and"
                    + " from llm_usage");

            if (!ctx.quick()) {
                postgresBaseline(ctx, result, ch, queries.getFirst(), queries.get(4), rawAnswers, worstRollup);
            } else {
                result.note("the PostgreSQL baseline runs in full runs only");
            }
        }
    }

    /**
     * chDB's fixed cost per query, measured apart: {@code SELECT 1}, and a report's query over a day that holds no
     * rows (parsing, analysis, planning and the answer's round trip, nothing to read).
     */
    private static void fixedCost(BenchContext ctx, ScenarioResult result, ClickHouse ch, Reports reports,
                                  LocalDate today) {
        int runs = ctx.count(20, 200);
        double[] select1 = new double[runs];
        double[] empty = new double[runs];
        double[] emptyUnprojected = new double[runs];
        Reports withoutProjections = new Reports(ch.withQuerySettings("optimize_use_projections = 0"));
        Reports.Query nothing = new Reports.Query(Reports.By.MODEL, today.plusDays(1), today.plusDays(1), null, null,
                null, TOP);
        for (int i = -3; i < runs; i++) {
            long a = System.nanoTime();
            ch.query("SELECT 1 AS one");
            long b = System.nanoTime();
            reports.run(nothing, Reports.Source.ROLLUP);
            long c = System.nanoTime();
            withoutProjections.run(nothing, Reports.Source.ROLLUP);
            long d = System.nanoTime();
            if (i >= 0) {
                select1[i] = (b - a) / 1e6;
                empty[i] = (c - b) / 1e6;
                emptyUnprojected[i] = (d - c) / 1e6;
            }
        }
        result.detail("fixed_cost", Map.of("select_1_ms", percentiles(select1), "empty_report_ms", percentiles(empty),
                "empty_report_without_projections_ms", percentiles(emptyUnprojected)));
        result.add(Figure.of("fixed_select1_p50_ms", "fixed cost: SELECT 1, p50", percentile(select1, 50), "ms",
                Figure.Better.LOWER));
        result.add(Figure.of("fixed_report_p50_ms", "fixed cost: a report's query over a day without rows, p50",
                percentile(empty, 50), "ms", Figure.Better.LOWER)
                .baseline(percentile(emptyUnprojected, 50), "the same without projections"));
    }

    /**
     * The rows a report's rollup query reads under {@code settings} (none: ""): {@code EXPLAIN ESTIMATE} of the SQL
     * Reports sends, the rows of the granules its index analysis keeps, projections included.
     */
    private static long rowsRead(ClickHouse ch, Reports.Query q, String settings) {
        LastQuery last = new LastQuery(ch);
        new Reports(last).run(q, Reports.Source.ROLLUP);
        long rows = 0;
        for (Row r : ch.query("EXPLAIN ESTIMATE " + last.sql + (settings.isEmpty() ? "" : "\nSETTINGS " + settings),
                last.params)) {
            rows += r.int64("rows");
        }
        return rows;
    }

    /** Passes queries through and keeps the last one's SQL and parameters. */
    private static final class LastQuery implements ClickHouse {
        private final ClickHouse delegate;
        private String sql;
        private Map<String, String> params;

        LastQuery(ClickHouse delegate) {
            this.delegate = delegate;
        }

        @Override
        public List<Row> query(String sql, Map<String, String> params) {
            this.sql = sql;
            this.params = params;
            return delegate.query(sql, params);
        }

        @Override
        public void execute(String sql) {
            delegate.execute(sql);
        }

        @Override
        public void insert(dev.tokenledger.clickhouse.InsertBatch batch) {
            delegate.insert(batch);
        }

        @Override
        public String version() {
            return delegate.version();
        }

        @Override
        public Backend backend() {
            return delegate.backend();
        }

        @Override
        public String database() {
            return delegate.database();
        }

        @Override
        public void close() {
        }
    }

    private static String label(Reports.Query q) {
        return "cost by " + q.by().label() + (q.workspace() == null ? "" : " in one workspace")
                + (q.by() == Reports.By.DAY ? "" : ", top " + q.limit());
    }

    /** Waits (at most {@code seconds}) until no merge is running on the two tables. */
    static void settle(ClickHouse ch, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            long merges = ch.query("SELECT count() AS n FROM system.merges WHERE database = currentDatabase()")
                    .getFirst().int64("n");
            if (merges == 0) {
                return;
            }
            Thread.sleep(250);
        }
    }

    private static Map<String, Object> tables(ClickHouse ch) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Row r : ch.query("SELECT table, count() AS parts, sum(rows) AS rows, sum(bytes_on_disk) AS bytes"
                + " FROM system.parts WHERE database = currentDatabase() AND active"
                + " AND table LIKE 'llm_usage%' GROUP BY table ORDER BY table")) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("parts", r.int64("parts"));
            m.put("rows", r.int64("rows"));
            m.put("bytes_on_disk", r.int64("bytes"));
            out.put(r.string("table"), m);
        }
        return out;
    }

    /**
     * One chunk of synthetic usage, computed by ClickHouse: the organisation of {@link BenchTraffic}, event
     * times spread over the 30 days before {@code now}, costs from fixed per-model rates (exact decimals).
     */
    static String generate(long offset, long count, Instant now) {
        StringBuilder models = new StringBuilder();
        StringBuilder providers = new StringBuilder();
        StringBuilder in = new StringBuilder();
        StringBuilder cachedRate = new StringBuilder();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < BenchTraffic.MODELS.length; i++) {
            String sep = i == 0 ? "" : ", ";
            models.append(sep).append('\'').append(BenchTraffic.MODELS[i][0]).append('\'');
            providers.append(sep).append('\'').append(BenchTraffic.MODELS[i][1]).append('\'');
            in.append(sep).append(RATES[i][0]);
            cachedRate.append(sep).append(RATES[i][1]);
            out.append(sep).append(RATES[i][2]);
        }
        StringBuilder agents = new StringBuilder();
        for (int i = 0; i < BenchTraffic.AGENTS.length; i++) {
            agents.append(i == 0 ? "" : ", ").append('\'').append(BenchTraffic.AGENTS[i]).append('\'');
        }
        String pico = "toDecimal128('0.000000000001', 12)";
        String t = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC).format(now);
        int unpriced = BenchTraffic.MODELS.length - 1;
        return """
                INSERT INTO llm_usage (event_id, event_time, user_id, workspace_id, conversation_id, message_id, agent_id,
                    agent_db_id, model, provider, prompt_tokens, completion_tokens, total_tokens, tool_use_prompt_tokens,
                    thoughts_tokens, cached_tokens, cache_creation_tokens, cache_creation_1h_tokens, audio_prompt_tokens,
                    audio_completion_tokens, call_sequence, turn_id, session_id, service_tier, input_cost, cached_input_cost,
                    cache_creation_cost, output_cost, reasoning_cost, audio_cost, tool_use_cost, cost_usd, cost_status,
                    pricing_model, pricing_id, pricing_override_id, batch_id, ingested_at)
                SETTINGS insert_deduplicate = 0
                SELECT generateUUIDv4(number), et, concat('user-', toString(u)), concat('ws-', toString(u %% %d)),
                    generateUUIDv4(number + 1), concat('msg-', hex(h2)), [%s][1 + (intDiv(u, 7) + (h2 %% 2) * 5) %% %d],
                    toString(100 + u %% 50), [%s][1 + mi], [%s][1 + mi], prompt, completion, prompt + completion, 0,
                    thoughts, cached, 0, 0, 0, 0, toUInt32(h3 %% 20), concat('turn-', toString(h3 %% 1000)),
                    concat('session-', toString(h3 %% 500)), 'standard',
                    if(mi = %d, NULL, toDecimal128(prompt - cached, 0) * toDecimal128([%s][1 + mi], 0) * %s),
                    if(mi = %d, NULL, toDecimal128(cached, 0) * toDecimal128([%s][1 + mi], 0) * %s),
                    if(mi = %d, NULL, toDecimal128(0, 12)),
                    if(mi = %d, NULL, toDecimal128(completion - thoughts, 0) * toDecimal128([%s][1 + mi], 0) * %s),
                    if(mi = %d, NULL, toDecimal128(thoughts, 0) * toDecimal128([%s][1 + mi], 0) * %s),
                    if(mi = %d, NULL, toDecimal128(0, 12)),
                    if(mi = %d, NULL, toDecimal128(0, 12)),
                    if(mi = %d, NULL, (toDecimal128(prompt - cached, 0) * toDecimal128([%s][1 + mi], 0)
                        + toDecimal128(cached, 0) * toDecimal128([%s][1 + mi], 0)
                        + toDecimal128(completion, 0) * toDecimal128([%s][1 + mi], 0)) * %s),
                    if(mi = %d, 'unpriced', 'priced'), if(mi = %d, '', [%s][1 + mi]), if(mi = %d, 0, 1 + mi), 0,
                    intDiv(number, 20000), et
                FROM (
                    SELECT number, h1, h2, h3, u, mi, prompt, thoughts, completion_base + thoughts AS completion, cached, et
                    FROM (
                        SELECT number, cityHash64(number, 1) AS h1, cityHash64(number, 2) AS h2, cityHash64(number, 3) AS h3,
                            h1 %% %d AS u, (u + (h2 %% 3) * 3) %% %d AS mi, 200 + h3 %% 6000 AS prompt,
                            50 + intDiv(h3, 7) %% 1500 AS completion_base,
                            if(mi IN (2, 5, 6), 100 + intDiv(h2, 11) %% 3000, 0) AS thoughts,
                            if(intDiv(h2, 3) %% 3 = 0, intDiv(prompt, 2), 0) AS cached,
                            toDateTime64('%s', 3, 'UTC') - toIntervalMillisecond(intDiv(h1, 1000) %% 2592000000) AS et
                        FROM numbers(%d, %d)))""".formatted(
                BenchTraffic.WORKSPACES, agents, BenchTraffic.AGENTS.length, models, providers,
                unpriced, in, pico,
                unpriced, cachedRate, pico,
                unpriced,
                unpriced, out, pico,
                unpriced, out, pico,
                unpriced,
                unpriced,
                unpriced, in, cachedRate, out, pico,
                unpriced, unpriced, models, unpriced,
                BenchTraffic.USERS, BenchTraffic.MODELS.length, t, offset, count);
    }

    static double percentile(double[] v, double p) {
        double[] s = v.clone();
        Arrays.sort(s);
        int i = (int) Math.ceil(p / 100 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, i))];
    }

    static Map<String, Object> percentiles(double[] v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("p50", Latencies.round(percentile(v, 50)));
        m.put("p95", Latencies.round(percentile(v, 95)));
        m.put("max", Latencies.round(percentile(v, 100)));
        m.put("runs", v.length);
        return m;
    }

    /**
     * The same rows in a usage_event-like PostgreSQL table (every column of usage_event plus the cost), and
     * the same aggregate there: what answering reports from PostgreSQL would cost.
     */
    private static void postgresBaseline(BenchContext ctx, ScenarioResult result, ClickHouse ch, Reports.Query byUser,
                                         Reports.Query byDay, Map<String, Reports.Report> rawAnswers,
                                         double worstRollup) throws SQLException {
        BenchProgress progress = ctx.progress();
        try (PostgresDatabase pg = ctx.env().freshPostgres("queries_pg", false, 2);
             Connection c = pg.dataSource().getConnection()) {
            try (Statement st = c.createStatement()) {
                st.execute("SET timezone = 'UTC'");
                st.execute(BASELINE_TABLE);
            }
            List<LocalDate> days = new ArrayList<>();
            for (Row r : ch.query("SELECT DISTINCT toDate(event_time) AS d FROM llm_usage ORDER BY d")) {
                days.add(r.date("d"));
            }
            PGConnection copy = c.unwrap(PGConnection.class);
            long copied = 0;
            long t0 = System.nanoTime();
            for (LocalDate d : days) {
                long done = copied;
                progress.step("PostgreSQL baseline: copying the same rows into a usage_event-like table",
                        () -> String.format(Locale.US, "%,d rows", done));
                copied += copyDay(ch, copy, d);
            }
            try (Statement st = c.createStatement()) {
                st.execute("CREATE INDEX ON bench_usage (event_time)");
                st.execute("VACUUM ANALYZE bench_usage");
            }
            double loadSeconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> pgDetails = new LinkedHashMap<>();
            pgDetails.put("rows", copied);
            pgDetails.put("load_seconds", Latencies.round(loadSeconds));
            int runs = 3;
            double worstPg = 0;
            for (Reports.Query q : List.of(byUser, byDay)) {
                String label = label(q);
                progress.step("PostgreSQL baseline: " + label);
                String key = q.by() == Reports.By.DAY ? "to_char(event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD')" : q.by().name()
                        .toLowerCase(Locale.ROOT) + "_id";
                String order = q.by() == Reports.By.DAY ? "key ASC" : "cost DESC, key ASC";
                String sql = """
                        SELECT %s AS key, count(*) AS events, count(*) FILTER (WHERE cost_status = 'unpriced') AS unpriced,
                               sum(prompt_tokens) AS prompt, sum(completion_tokens) AS completion, sum(cached_tokens) AS cached,
                               sum(cache_creation_tokens + cache_creation_1h_tokens) AS cache_creation,
                               sum(thoughts_tokens) AS thoughts, sum(total_tokens) AS total, coalesce(sum(cost_usd), 0) AS cost
                        FROM bench_usage
                        WHERE event_time >= ?::date AND event_time < ?::date + 1
                        GROUP BY key ORDER BY %s LIMIT %d""".formatted(key, order, q.limit());
                double[] ms = new double[runs];
                List<String> answer = null;
                for (int i = 0; i < runs; i++) {
                    long a = System.nanoTime();
                    answer = pgAnswer(c, sql, q);
                    ms[i] = (System.nanoTime() - a) / 1e6;
                }
                List<String> expected = rawAnswers.get(label).lines().stream().map(l -> l.key() + " " + l.events() + " "
                        + l.costUsd().stripTrailingZeros().toPlainString()).toList();
                if (!expected.equals(answer)) {
                    throw new IllegalStateException(label + ": PostgreSQL and ClickHouse disagree: " + answer + " vs "
                            + expected);
                }
                try (PreparedStatement ps = c.prepareStatement("EXPLAIN (ANALYZE, BUFFERS) " + sql)) {
                    ps.setString(1, q.from().toString());
                    ps.setString(2, q.to().toString());
                    List<String> plan = new ArrayList<>();
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            plan.add(rs.getString(1));
                        }
                    }
                    pgDetails.put("explain_analyze_" + q.by().label(), plan);
                }
                pgDetails.put(label + " ms", percentiles(ms));
                double p50 = percentile(ms, 50);
                worstPg = Math.max(worstPg, p50);
                result.add(Figure.of("postgres_ms_" + q.by().label(), label + ": PostgreSQL, same rows (p50 of "
                        + runs + ")", p50, "ms", Figure.Better.LOWER));
            }
            result.detail("postgres", pgDetails);
            result.add(Figure.of("rollup_vs_postgres", "worst rollup p95 vs the same aggregate in PostgreSQL",
                    worstRollup, "ms", Figure.Better.LOWER).baseline(worstPg, "the same aggregate over the same rows"
                    + " in a usage_event-like PostgreSQL table"));
            result.note("PostgreSQL answered with the same keys, counts and costs as ClickHouse");
        }
    }

    /**
     * Copies one day of llm_usage into bench_usage (every column of usage_event plus the cost), read as RowBinary
     * and written as PostgreSQL's COPY text; returns the rows copied.
     */
    static long copyDay(ClickHouse ch, PGConnection copy, LocalDate day) throws SQLException {
        RowBinaryResult rows = ch.queryRowBinary("SELECT " + BASELINE_COLUMNS + " FROM llm_usage"
                + " WHERE toDate(event_time) = {d:Date}", Map.of("d", day.toString()));
        return PostgresCopyText.copyIn(copy.getCopyAPI(), "COPY bench_usage (" + BASELINE_COLUMNS + ") FROM STDIN",
                rows);
    }

    private static List<String> pgAnswer(Connection c, String sql, Reports.Query q) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, q.from().toString());
            ps.setString(2, q.to().toString());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    BigDecimal cost = rs.getBigDecimal("cost");
                    out.add(rs.getString("key") + " " + rs.getLong("events") + " "
                            + cost.stripTrailingZeros().toPlainString());
                }
            }
        }
        return out;
    }
}
