package dev.tokenledger.clickhouse;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scratch table shaped exactly like a MergeTree table (columns, projections, indices, keys, engine, settings), to
 * build one partition in and swap it into the table with {@code REPLACE PARTITION}, atomically for readers — the
 * rollup rebuild's tool. {@code REPLACE PARTITION} requires both tables to have the same structure, keys, indices and
 * projections, so the staging table is always made {@code AS} the table, never written out by hand.
 *
 * <ul>
 *   <li>One node: {@code CREATE TABLE s AS t}; the swap is {@code ALTER TABLE t REPLACE PARTITION ID … FROM s}.</li>
 *   <li>A cluster ({@code t} a Distributed table over {@code t_local}, see {@link ClusterDdl}): {@code s_local} on
 *       every node, made {@code AS t_local} with {@code t_local}'s engine under its own Keeper path (the table's own path
 *       would make it a replica of the real table), and a Distributed {@code s} over it with {@code t}'s sharding key,
 *       so an insert into {@code s} lands on the shard where {@code t} keeps the same partition. The swap first waits
 *       until every replica of {@code s_local} has the staged parts ({@code SYSTEM SYNC REPLICA}: {@code REPLACE
 *       PARTITION … FROM} takes the executing replica's parts), then runs {@code ON CLUSTER}, once per shard: the
 *       partition's shard receives the staged rows and every other shard an empty partition, so after a change of the
 *       shard count a month that had rows on two shards ends up whole on the one its inserts now go to.</li>
 * </ul>
 * Closing drops the staging table (both halves, {@code SYNC} so the Keeper path is gone before the next one is made).
 */
public final class StagingTable implements AutoCloseable {
    private static final Pattern REPLICATED_ENGINE = Pattern.compile("^(Replicated\\w*MergeTree\\(\\s*)'([^']*)'");

    private final ClickHouse clickHouse;
    private final ClickHouseTopology topology;
    private final String table;
    private final String name;

    private StagingTable(ClickHouse clickHouse, ClickHouseTopology topology, String table, String name) {
        this.clickHouse = clickHouse;
        this.topology = topology;
        this.table = Identifiers.requireName(table, "table name");
        this.name = Identifiers.requireName(name, "staging table name");
    }

    /**
     * Makes staging table {@code name} shaped like {@code table}, dropping a leftover of the same name first (a rebuild
     * that died half-way).
     */
    public static StagingTable create(ClickHouse clickHouse, ClickHouseTopology topology, String table, String name) {
        StagingTable staging = new StagingTable(clickHouse, topology, table, name);
        staging.drop();
        List<String> ddl = topology.clustered()
                ? clusterDdl(topology, clickHouse.database(), table, name, engineFull(clickHouse, topology.localTable(table)),
                        engineFull(clickHouse, table))
                : List.of("CREATE TABLE " + Identifiers.quoted(name, "staging table name") + " AS "
                        + Identifiers.quoted(table, "table name"));
        ddl.forEach(clickHouse::execute);
        return staging;
    }

    /**
     * The statements that make the staging table on a cluster, from the table's two halves as {@code system.tables}
     * shows them ({@code engine_full}): a pure function, so the text is tested where no cluster runs.
     */
    static List<String> clusterDdl(ClickHouseTopology topology, String database, String table, String name,
                                   String localEngineFull, String distributedEngineFull) {
        String local = topology.localTable(name);
        Matcher replicated = REPLICATED_ENGINE.matcher(localEngineFull);
        if (!replicated.find()) {
            throw new IllegalStateException(topology.localTable(table) + " is not a Replicated*MergeTree table ("
                    + localEngineFull + "): the ClickHouse migrations did not make it for a cluster");
        }
        String stagingEngine = replicated.group(1) + Identifiers.stringLiteral(ClusterDdl.KEEPER_PATH + local)
                + localEngineFull.substring(replicated.end());
        String ownLocal = Identifiers.stringLiteral(topology.localTable(table));
        int at = distributedEngineFull.indexOf(ownLocal);
        if (!distributedEngineFull.startsWith("Distributed(") || at < 0 || distributedEngineFull.indexOf(ownLocal, at + 1) >= 0) {
            throw new IllegalStateException(table + " is not a Distributed table over " + topology.localTable(table)
                    + " (" + distributedEngineFull + ")");
        }
        String stagingDistributed = distributedEngineFull.substring(0, at) + Identifiers.stringLiteral(local)
                + distributedEngineFull.substring(at + ownLocal.length());
        String db = Identifiers.quoted(database, "database name") + ".";
        return List.of(
                "CREATE TABLE " + db + Identifiers.quoted(local, "staging table name") + topology.onCluster() + " AS " + db
                        + Identifiers.quoted(topology.localTable(table), "table name") + " ENGINE = " + stagingEngine,
                "CREATE TABLE " + db + Identifiers.quoted(name, "staging table name") + topology.onCluster() + " AS " + db
                        + Identifiers.quoted(local, "staging table name") + " ENGINE = " + stagingDistributed);
    }

    /** The table an {@code INSERT} names: the staging table itself, a Distributed one on a cluster. */
    public String name() {
        return name;
    }

    /** Swaps the staged partition into the table (see the class comment for a cluster). */
    public void replacePartition(String partitionId) {
        swapDdl(topology, clickHouse.database(), table, name, partitionId).forEach(clickHouse::execute);
    }

    @Override
    public void close() {
        drop();
    }

    private void drop() {
        dropDdl(topology, clickHouse.database(), name).forEach(clickHouse::execute);
    }

    static List<String> swapDdl(ClickHouseTopology topology, String database, String table, String name, String partitionId) {
        String id = Identifiers.stringLiteral(partitionId);
        if (!topology.clustered()) {
            return List.of("ALTER TABLE " + Identifiers.quoted(table, "table name") + " REPLACE PARTITION ID " + id
                    + " FROM " + Identifiers.quoted(name, "staging table name"));
        }
        String db = Identifiers.quoted(database, "database name") + ".";
        String local = db + Identifiers.quoted(topology.localTable(name), "staging table name");
        return List.of("SYSTEM SYNC REPLICA" + topology.onCluster() + " " + local,
                "ALTER TABLE " + db + Identifiers.quoted(topology.localTable(table), "table name") + topology.onCluster()
                        + " REPLACE PARTITION ID " + id + " FROM " + local);
    }

    static List<String> dropDdl(ClickHouseTopology topology, String database, String name) {
        if (!topology.clustered()) {
            return List.of("DROP TABLE IF EXISTS " + Identifiers.quoted(name, "staging table name"));
        }
        String db = Identifiers.quoted(database, "database name") + ".";
        return List.of(
                "DROP TABLE IF EXISTS " + db + Identifiers.quoted(name, "staging table name") + topology.onCluster() + " SYNC",
                "DROP TABLE IF EXISTS " + db + Identifiers.quoted(topology.localTable(name), "staging table name")
                        + topology.onCluster() + " SYNC");
    }

    private static String engineFull(ClickHouse clickHouse, String table) {
        return ClickHouseTopology.engineFull(clickHouse, table).orElseThrow(() -> new IllegalStateException("table "
                + table + " not found in database '" + clickHouse.database() + "': the ClickHouse migrations have not run"));
    }
}
