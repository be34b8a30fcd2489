package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;

class EmbeddedReportsTest extends ReportsContract {
    @Override
    ClickHouse clickHouse(String testName) {
        return TestClickHouse.embedded("rep_" + testName);
    }
}
