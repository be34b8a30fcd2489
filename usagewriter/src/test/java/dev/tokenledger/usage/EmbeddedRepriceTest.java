package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;

class EmbeddedRepriceTest extends RepriceContract {
    @Override
    ClickHouse clickHouse(String testName) {
        return TestClickHouse.embedded("rp_" + testName);
    }
}
