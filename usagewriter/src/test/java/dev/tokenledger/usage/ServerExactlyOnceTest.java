package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;

class ServerExactlyOnceTest extends ExactlyOnceContract {
    @Override
    ClickHouse clickHouse(String testName) {
        return TestClickHouse.server("eo_" + testName);
    }
}
