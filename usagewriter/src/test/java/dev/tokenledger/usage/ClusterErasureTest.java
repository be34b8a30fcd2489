package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestCluster;
import org.junit.jupiter.api.BeforeAll;

/**
 * The erasure contract on a real ClickHouse cluster with Keeper ({@link TestCluster}: two shards, the tables migrated in
 * cluster mode), reached through the second node: the deletes run on the local tables {@code ON CLUSTER} and every
 * rollup month is rebuilt on its shard. Runs only where a Docker engine answers; skipped with the reason otherwise.
 */
class ClusterErasureTest extends ErasureContract {

    @BeforeAll
    static void aClusterAnswers() {
        TestCluster.nodes(); // aborts the class, saying why, where no Docker engine answers
    }

    @Override
    ClickHouse clickHouse(String testName) {
        return TestCluster.migrated("er_" + testName, 1);
    }

    /** On a cluster the constraints are on the local tables, and the probe is made from llm_usage_local. */
    @Override
    void refuseModel(ClickHouse clickHouse, String model) {
        clickHouse.execute("ALTER TABLE llm_usage_local ON CLUSTER " + TestCluster.CLUSTER
                + " ADD CONSTRAINT no_poison CHECK model != '" + model + "'");
        remakeProbe(clickHouse);
    }

    @Override
    void acceptEveryModel(ClickHouse clickHouse) {
        clickHouse.execute("ALTER TABLE llm_usage_local ON CLUSTER " + TestCluster.CLUSTER + " DROP CONSTRAINT no_poison");
        remakeProbe(clickHouse);
    }

    private static void remakeProbe(ClickHouse clickHouse) {
        clickHouse.execute("DROP TABLE llm_usage_probe ON CLUSTER " + TestCluster.CLUSTER + " SYNC");
        clickHouse.execute("CREATE TABLE llm_usage_probe ON CLUSTER " + TestCluster.CLUSTER
                + " AS llm_usage_local ENGINE = Null");
    }
}
