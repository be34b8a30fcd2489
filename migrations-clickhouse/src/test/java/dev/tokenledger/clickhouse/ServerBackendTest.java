package dev.tokenledger.clickhouse;

/** The contract through the official client over HTTP (see {@link TestClickHouse#server} for which server). */
class ServerBackendTest extends ClickHouseBackendContract {
    @Override
    ClickHouse open(String testName) {
        return TestClickHouse.server(testName);
    }

    @Override
    ClickHouse.Backend expectedBackend() {
        return ClickHouse.Backend.SERVER;
    }
}
