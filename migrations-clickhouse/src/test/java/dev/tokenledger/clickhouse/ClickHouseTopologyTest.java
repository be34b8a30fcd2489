package dev.tokenledger.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ClickHouseTopologyTest {

    @Test
    void onOneNodeEveryStatementNamesTheTableItself() {
        ClickHouseTopology one = ClickHouseTopology.SINGLE_NODE;
        assertThat(one.readTable("llm_usage")).isEqualTo("llm_usage");
        assertThat(one.localTable("llm_usage_daily")).isEqualTo("llm_usage_daily");
        assertThat(one.onCluster()).isEmpty();
        assertThat(one.clustered()).isFalse();
    }

    @Test
    void onAClusterReportsAndReconcileReadTheDistributedTableAndRepairsTheShardsLocalOne() {
        ClickHouseTopology cluster = ClickHouseTopology.cluster("ledger");
        assertThat(cluster.readTable("llm_usage")).isEqualTo("llm_usage");
        assertThat(cluster.readTable("llm_usage_daily")).isEqualTo("llm_usage_daily");
        assertThat(cluster.localTable("llm_usage_daily")).isEqualTo("llm_usage_daily_local");
        assertThat(cluster.onCluster()).isEqualTo(" ON CLUSTER `ledger`");
    }

    @Test
    void aClusterNameIsAnIdentifier() {
        assertThatThrownBy(() -> ClickHouseTopology.cluster("a`; DROP")).hasMessageContaining("ClickHouse cluster name");
    }

    @Test
    void aMonthsShardIsAPureFunctionOfTheMonthAndTheShardCount() {
        assertThat(ClickHouseTopology.shardOf(202612, 2)).isZero();
        assertThat(ClickHouseTopology.shardOf(202701, 2)).isOne();
        assertThat(ClickHouseTopology.shardOf(202611, 2)).isOne();
        assertThat(ClickHouseTopology.shardOf(202612, 1)).isZero();
        assertThat(ClickHouseTopology.shardOf(202612, 3)).isEqualTo(202612 % 3);
        assertThat(ClickHouseTopology.shardOf(202612, 2)).as("every time").isEqualTo(ClickHouseTopology.shardOf(202612, 2));
    }

    @Test
    void consecutiveMonthsAlternateBetweenTwoShardsAndSpreadOverThree() {
        Set<Integer> two = new HashSet<>();
        Set<Integer> three = new HashSet<>();
        int[] months = {202610, 202611, 202612, 202701, 202702, 202703};
        for (int i = 1; i < months.length; i++) {
            assertThat(ClickHouseTopology.shardOf(months[i], 2)).isNotEqualTo(ClickHouseTopology.shardOf(months[i - 1], 2));
        }
        for (int m : months) {
            two.add(ClickHouseTopology.shardOf(m, 2));
            three.add(ClickHouseTopology.shardOf(m, 3));
        }
        assertThat(two).containsExactlyInAnyOrder(0, 1);
        assertThat(three).containsExactlyInAnyOrder(0, 1, 2);
    }

    @Test
    void aShardCountBelowOneOrSomethingThatIsNotAMonthIsRefused() {
        assertThatThrownBy(() -> ClickHouseTopology.shardOf(202612, 0)).hasMessageContaining("shardCount");
        assertThatThrownBy(() -> ClickHouseTopology.shardOf(202613, 2)).hasMessageContaining("yyyymm");
    }
}
