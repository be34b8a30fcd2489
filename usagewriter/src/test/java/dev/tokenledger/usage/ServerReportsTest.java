package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;

class ServerReportsTest extends ReportsContract {
    @Override
    ClickHouse clickHouse(String testName) {
        return TestClickHouse.server("rep_" + testName);
    }
}
