package dev.tokenledger.orchestrator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.pricing.FeedSource;
import dev.tokenledger.pricing.Pricing;
import dev.tokenledger.pricing.RefreshOutcome;
import dev.tokenledger.pricing.RefreshResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Pricing's costs: a full refresh of an empty price book from a local LiteLLM file (the bundled snapshot,
 * ~3,000 models), and per event the in-memory lookup and the full exact cost, measured with JMH
 * ({@link PricingBenchmarks}, run by {@link Jmh}: ns/op with its error, best and worst iteration, bytes/op).
 * Baselines: a naive refresh (one INSERT per model) and the lookup a design without the in-memory cache would
 * make, one PostgreSQL query per event for the price row valid at its time.
 */
final class PricingScenario implements Scenario {
    static final double TARGET_REFRESH_MS = 250;
    static final double TARGET_LOOKUP_NS = 1_000;

    @Override
    public String name() {
        return "pricing";
    }

    @Override
    public String description() {
        return "LiteLLM refresh from a local file; price lookup and full cost ns/op, vs a query per event";
    }

    @Override
    public void run(BenchContext ctx, ScenarioResult result) throws Exception {
        BenchProgress progress = ctx.progress();
        Path feed = Files.createTempFile("tokenledger-bench-litellm", ".json");
        try {
            try (InputStream in = Pricing.class.getClassLoader().getResourceAsStream(FeedSource.Bundled.RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("the bundled LiteLLM file " + FeedSource.Bundled.RESOURCE
                            + " is not on the class path");
                }
                Files.write(feed, in.readAllBytes());
            }
            runs(ctx, result, progress, feed);
        } finally {
            Files.deleteIfExists(feed);
        }
    }

    private void runs(BenchContext ctx, ScenarioResult result, BenchProgress progress, Path feed) throws Exception {
        int runs = ctx.count(1, 5);
        double[] full = new double[runs];
        double[] unchanged = new double[runs];
        double[] naive = new double[runs];
        int models = 0;
        PostgresDatabase keep = null;
        try {
            for (int i = 0; i < runs; i++) {
                progress.step("refresh into an empty book, run " + (i + 1) + " of " + runs);
                PostgresDatabase db = ctx.env().freshPostgres("pricing_" + i, false, 4);
                try (Pricing pricing = new Pricing(db.dataSource(),
                        BenchEnvironment.noCacheCheck(ctx.env().base().pricing()), InstantSource.system())) {
                    long t0 = System.nanoTime();
                    RefreshResult r = pricing.refresh(new FeedSource.File(feed));
                    full[i] = (System.nanoTime() - t0) / 1e6;
                    if (r.outcome() != RefreshOutcome.APPLIED) {
                        throw new IllegalStateException("the refresh was not applied: " + r.outcome() + " " + r.reason());
                    }
                    models = pricing.modelCount();
                    t0 = System.nanoTime();
                    pricing.refresh(new FeedSource.File(feed));
                    unchanged[i] = (System.nanoTime() - t0) / 1e6;
                }
                progress.step("naive refresh (one INSERT per model), run " + (i + 1) + " of " + runs);
                naive[i] = naiveRefresh(db, feed);
                if (keep != null) {
                    db.close();
                } else {
                    keep = db;
                }
            }
            double fullMs = median(full);
            double naiveMs = median(naive);
            Map<String, Object> refresh = new LinkedHashMap<>();
            refresh.put("models_in_book", models);
            refresh.put("feed_bytes", Files.size(feed));
            refresh.put("full_refresh_ms", rounded(full));
            refresh.put("unchanged_refresh_ms", rounded(unchanged));
            refresh.put("naive_refresh_ms", rounded(naive));
            result.detail("refresh", refresh);
            result.add(Figure.of("refresh_ms", "full refresh, empty book (" + models + " models), median of " + runs,
                            fullMs, "ms", Figure.Better.LOWER)
                    .target(Figure.Target.below(TARGET_REFRESH_MS))
                    .baseline(naiveMs, "naive refresh: one INSERT per model, one transaction"));
            result.add(Figure.of("refresh_unchanged_ms", "refresh, same file again (nothing changed)", median(unchanged),
                    "ms", Figure.Better.LOWER).baseline(fullMs, "the full refresh"));

            // The JMH benchmarks run in a JVM of their own: they open their own Pricing on the first run's book
            // (refreshed from the bundled file above), named by these parameters (see PricingBenchmarks).
            Map<String, String> book = Map.of("jdbcUrl", keep.jdbcUrl(), "user", ctx.env().pgUser(),
                    "password", ctx.env().pgPassword() == null ? "" : ctx.env().pgPassword());
            Jmh.Measured lookup = Jmh.run(ctx, "lookup ns/op (JMH)", PricingBenchmarks.class, "lookup", book);
            Jmh.Measured cost = Jmh.run(ctx, "full cost ns/op (JMH)", PricingBenchmarks.class, "fullCost", book);
            progress.step("baseline: a PostgreSQL query per lookup");
            double queryNs = queryLookup(keep, ctx.count(300, 5_000));
            result.detail("lookup", lookup.details());
            result.detail("full_cost", cost.details());
            result.detail("query_lookup_ns", Math.round(queryNs));
            result.add(Figure.of("lookup_ns", "price lookup (name + window), in memory", lookup.nanosPerOp(), "ns",
                            Figure.Better.LOWER)
                    .target(Figure.Target.below(TARGET_LOOKUP_NS))
                    .baseline(queryNs, "a PostgreSQL query per lookup (indexed, prepared)"));
            result.add(Figure.of("full_cost_ns", "full exact cost (lookup + BigDecimal components)", cost.nanosPerOp(),
                    "ns", Figure.Better.LOWER).baseline(queryNs, "a PostgreSQL query per lookup (indexed, prepared)"));
            if (lookup.bytesPerOp() > 0.5) {
                result.note(String.format(Locale.US, "lookup allocated %.1f bytes/op", lookup.bytesPerOp()));
            }
        } finally {
            if (keep != null) {
                keep.close();
            }
        }
    }

    /**
     * The naive refresh: parse the file into a tree, then one INSERT per model into a copy of
     * model_pricing, in one transaction (no change set, no batching).
     */
    private static double naiveRefresh(PostgresDatabase db, Path feed) throws IOException, SQLException {
        long t0 = System.nanoTime();
        JsonNode root = new ObjectMapper().readTree(feed.toFile());
        try (Connection c = db.dataSource().getConnection()) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS bench_naive_pricing (LIKE model_pricing INCLUDING ALL)");
                st.execute("TRUNCATE bench_naive_pricing");
            }
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO bench_naive_pricing (model_key, provider, mode,"
                    + " valid_from, input_cost_per_token, output_cost_per_token, cache_read_input_token_cost,"
                    + " cache_creation_input_token_cost, costs, attributes, content_hash) VALUES (?, ?, ?, '-infinity',"
                    + " ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?)")) {
                for (Iterator<Map.Entry<String, JsonNode>> it = root.properties().iterator(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    JsonNode m = e.getValue();
                    if (!m.isObject()) {
                        continue;
                    }
                    ps.setString(1, e.getKey());
                    ps.setString(2, m.path("litellm_provider").asText(null));
                    ps.setString(3, m.path("mode").asText(null));
                    ps.setBigDecimal(4, m.hasNonNull("input_cost_per_token") ? m.get("input_cost_per_token").decimalValue() : null);
                    ps.setBigDecimal(5, m.hasNonNull("output_cost_per_token") ? m.get("output_cost_per_token").decimalValue() : null);
                    ps.setBigDecimal(6, m.hasNonNull("cache_read_input_token_cost") ? m.get("cache_read_input_token_cost").decimalValue() : null);
                    ps.setBigDecimal(7, m.hasNonNull("cache_creation_input_token_cost") ? m.get("cache_creation_input_token_cost").decimalValue() : null);
                    ps.setString(8, m.toString());
                    ps.setString(9, m.toString());
                    ps.setString(10, Integer.toHexString(m.toString().hashCode()));
                    ps.executeUpdate();
                }
            }
            c.commit();
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    /** ns per lookup when every event asks PostgreSQL for its price row (prepared, indexed, one connection). */
    private static double queryLookup(PostgresDatabase db, int n) throws SQLException {
        String[] models = {"gpt-4o", "claude-sonnet-4-5", "gpt-4o-mini", "gemini-2.5-flash"};
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT id, input_cost_per_token, output_cost_per_token,"
                     + " cache_read_input_token_cost FROM model_pricing WHERE model_key = ? AND valid_from <= ?"
                     + " AND (valid_to IS NULL OR valid_to > ?) ORDER BY valid_from DESC LIMIT 1")) {
            long sink = 0;
            Timestamp now = Timestamp.from(Instant.now());
            long t0 = 0;
            for (int i = -n / 5; i < n; i++) { // the first fifth warms up (server-side prepare after 5 uses)
                if (i == 0) {
                    t0 = System.nanoTime();
                }
                ps.setString(1, models[Math.floorMod(i, models.length)]);
                ps.setTimestamp(2, now);
                ps.setTimestamp(3, now);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        sink += rs.getLong(1);
                    }
                }
            }
            if (sink == 42) {
                Thread.onSpinWait();
            }
            return (double) (System.nanoTime() - t0) / n;
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static List<Double> rounded(double[] v) {
        List<Double> out = new ArrayList<>();
        for (double d : v) {
            out.add(Latencies.round(d));
        }
        return out;
    }
}
