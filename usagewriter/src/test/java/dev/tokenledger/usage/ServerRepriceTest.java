package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;

class ServerRepriceTest extends RepriceContract {
    @Override
    ClickHouse clickHouse(String testName) {
        return TestClickHouse.server("rp_" + testName);
    }
}
