package dev.tokenledger.clickhouse;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where tokenledger's ClickHouse tables live, and so which table name each kind of statement uses: one node (the
 * default), or a ClickHouse cluster named in the server's {@code remote_servers} ({@code TOKENLEDGER_CLICKHOUSE_CLUSTER}).
 *
 * <p>On a cluster every MergeTree table of the migrations becomes a {@code Replicated*MergeTree} table named
 * {@code <table>_local} on every node, and a {@code Distributed} table under the table's own name routes to them (see
 * {@link ClusterDdl}). The Distributed table keeps the name so that every statement that reads or inserts — reports,
 * reconcile, the writer's insert and presence check — is the same text on one node and on a cluster. Only statements
 * that change a table's parts in place (mutations, {@code REPLACE}/{@code ATTACH PARTITION}, {@code system.parts}) must
 * name the local table, and run on the shard that holds the month: {@link #localTable}.
 *
 * @param cluster the cluster's name, empty on one node
 */
public record ClickHouseTopology(Optional<String> cluster) {
    /** The suffix of a table's shard-local, replicated half on a cluster. */
    public static final String LOCAL_SUFFIX = "_local";

    public static final ClickHouseTopology SINGLE_NODE = new ClickHouseTopology(Optional.empty());
    private static final Pattern DISTRIBUTED_CLUSTER = Pattern.compile("^Distributed\\('([A-Za-z_][A-Za-z0-9_]*)'");

    public ClickHouseTopology {
        Objects.requireNonNull(cluster, "cluster");
        cluster.ifPresent(c -> Identifiers.requireName(c, "ClickHouse cluster name"));
    }

    public static ClickHouseTopology cluster(String name) {
        return new ClickHouseTopology(Optional.of(name));
    }

    public boolean clustered() {
        return cluster.isPresent();
    }

    /**
     * The table a report, a reconcile query or an insert names: the table itself on one node, its Distributed table
     * (same name) on a cluster, which reads every shard and routes an insert by month ({@link #shardOf}).
     */
    public String readTable(String table) {
        return Identifiers.requireName(table, "table name");
    }

    /**
     * The table a statement that changes parts in place names (a mutation, {@code REPLACE}/{@code ATTACH PARTITION},
     * a {@code system.parts} lookup): the table itself on one node, {@code <table>_local} on a cluster, run on the
     * shard {@link #shardOf} names for the month.
     */
    public String localTable(String table) {
        return readTable(table) + (clustered() ? LOCAL_SUFFIX : "");
    }

    /** {@code " ON CLUSTER `name`"} on a cluster, {@code ""} on one node: DDL runs on every node of the cluster. */
    public String onCluster() {
        return cluster.map(c -> " ON CLUSTER " + Identifiers.quoted(c, "ClickHouse cluster name")).orElse("");
    }

    /**
     * The topology the migrations made {@code table} for, as the schema says: one node, or the cluster its Distributed
     * table routes to (the engine's first argument). For code that is handed a {@link ClickHouse} and no topology: a
     * repair that must name local tables and {@code ON CLUSTER} (a rollup rebuild, an erasure), or must not run its
     * single-node form on a Distributed table (a staging table made {@code AS} a Distributed table is another
     * Distributed table, and an insert into it lands in the real one).
     *
     * @throws IllegalStateException {@code table} is Distributed and its engine names no cluster this can read
     */
    public static ClickHouseTopology migratedAs(ClickHouse clickHouse, String table) {
        String engine = engineFull(clickHouse, table).orElse("");
        if (!engine.startsWith("Distributed(")) {
            return SINGLE_NODE;
        }
        Matcher m = DISTRIBUTED_CLUSTER.matcher(engine);
        if (!m.find()) {
            throw new IllegalStateException(table + " is a Distributed table whose cluster is not a plain name: " + engine);
        }
        return cluster(m.group(1));
    }

    /** {@code table}'s engine with its arguments and clauses, as {@code system.tables.engine_full} shows it. */
    static Optional<String> engineFull(ClickHouse clickHouse, String table) {
        return clickHouse.query("SELECT engine_full FROM system.tables WHERE database = currentDatabase()"
                        + " AND name = {t:String}", Map.of("t", Identifiers.requireName(table, "table name"))).stream()
                .map(r -> r.string("engine_full")).findFirst();
    }

    /**
     * The shard (0-based, in the order of the cluster's {@code remote_servers} entry, i.e. {@code shard_num - 1}) that
     * holds a month ({@code yyyymm}) of every month-partitioned table. The Distributed tables' sharding key is the
     * partition key ({@code toYYYYMM(...)}), and ClickHouse sends a row to the shard whose slot holds the key modulo
     * the sum of the shard weights; with every weight 1 that is {@code yyyymm % shardCount}. A pure function of the
     * month and the shard count: a batch's month meets its own deduplication token on every retry, as long as the
     * shard count (and weights) stay as they were.
     */
    public static int shardOf(int yyyymm, int shardCount) {
        if (shardCount < 1) {
            throw new IllegalArgumentException("shardCount must be at least 1, got " + shardCount);
        }
        if (yyyymm < 190001 || yyyymm % 100 < 1 || yyyymm % 100 > 12) {
            throw new IllegalArgumentException("not a month in yyyymm form: " + yyyymm);
        }
        return yyyymm % shardCount;
    }
}
