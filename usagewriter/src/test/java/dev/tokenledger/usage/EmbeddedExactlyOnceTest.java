package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;

class EmbeddedExactlyOnceTest extends ExactlyOnceContract {
    @Override
    ClickHouse clickHouse(String testName) {
        return TestClickHouse.embedded("eo_" + testName);
    }
}
