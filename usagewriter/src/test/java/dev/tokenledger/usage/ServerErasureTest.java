package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;

class ServerErasureTest extends ErasureContract {
    @Override
    ClickHouse clickHouse(String testName) {
        return TestClickHouse.server("er_" + testName);
    }
}
