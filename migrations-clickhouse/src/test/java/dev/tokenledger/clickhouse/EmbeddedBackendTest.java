package dev.tokenledger.clickhouse;

/** The contract on chDB in this JVM, called directly through FFM. */
class EmbeddedBackendTest extends ClickHouseBackendContract {
    @Override
    ClickHouse open(String testName) {
        return TestClickHouse.embedded(testName);
    }

    @Override
    ClickHouse.Backend expectedBackend() {
        return ClickHouse.Backend.EMBEDDED;
    }
}
