package dev.tokenledger.usage;

import java.util.List;

/**
 * The rollups of the ledger: each a SummingMergeTree table with a {@code day} column and every {@link Measure}
 * column, partitioned by month, fed by materialized views on llm_usage (usage as written) and on
 * llm_usage_adjustment (corrections). Reconcile checks each against llm_usage plus its adjustments, day by day,
 * and {@link RollupRepair} rebuilds a month of each from those tables with the views' own SELECTs. A rollup or a
 * view added in a ClickHouse migration is added here too ({@code RollupsTest} fails on a view that is not).
 */
public final class Rollups {
    /** The raw usage table. */
    public static final String USAGE = "llm_usage";
    /** The appended corrections (reprice runs). */
    public static final String ADJUSTMENTS = "llm_usage_adjustment";

    /** A materialized view feeding a rollup from {@code source}. */
    public record Feed(String view, String source) {
    }

    /** One rollup: its table and the views that feed it. */
    public record Rollup(String table, List<Feed> feeds) {
        public Rollup {
            feeds = List.copyOf(feeds);
        }
    }

    public static final Rollup DAILY = new Rollup("llm_usage_daily", List.of(
            new Feed("llm_usage_daily_mv", USAGE), new Feed("llm_usage_daily_adjustment_mv", ADJUSTMENTS),
            new Feed("llm_usage_daily_extras_mv", USAGE),
            new Feed("llm_usage_daily_extras_adjustment_mv", ADJUSTMENTS)));

    public static final List<Rollup> ALL = List.of(DAILY);

    private Rollups() {
    }
}
