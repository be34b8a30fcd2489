package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;

class EmbeddedErasureTest extends ErasureContract {
    @Override
    ClickHouse clickHouse(String testName) {
        return TestClickHouse.embedded("er_" + testName);
    }
}
