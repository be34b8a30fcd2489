package dev.tokenledger.usage;

import java.util.List;

/**
 * The rollups of llm_usage: each a SummingMergeTree table with a {@code day} column and every {@link Measure}
 * column, fed by a materialized view on llm_usage. Reconcile checks each against llm_usage, day by day, and
 * {@link RollupRepair} rebuilds a month of each from llm_usage with its view's own SELECT. A rollup added in a
 * ClickHouse migration is added here too ({@code RollupsTest} fails on a view of llm_usage that is not).
 */
public final class Rollups {
    /** One rollup: its table and the materialized view that feeds it from llm_usage. */
    public record Rollup(String table, String view) {
    }

    public static final Rollup DAILY = new Rollup("llm_usage_daily", "llm_usage_daily_mv");

    public static final List<Rollup> ALL = List.of(DAILY);

    private Rollups() {
    }
}
