package dev.tokenledger.orchestrator.http;

import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.orchestrator.FailingClickHouse;
import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.orchestrator.LedgerConfig;
import dev.tokenledger.orchestrator.TestLedger;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.util.HashMap;
import java.util.Map;

/**
 * The service as {@code serve} runs it (JobRunr server, usage writer, dashboard, HTTP API) on a fresh
 * PostgreSQL database and an embedded ClickHouse that the test can take down. Closed in reverse order.
 */
final class RunningApi implements AutoCloseable {
    final PostgresDatabase postgres;
    final FailingClickHouse clickHouse;
    final Ledger ledger;
    final HttpApi api;
    final ApiClient client;

    private RunningApi(PostgresDatabase postgres, FailingClickHouse clickHouse, Ledger ledger, HttpApi api, String key) {
        this.postgres = postgres;
        this.clickHouse = clickHouse;
        this.ledger = ledger;
        this.api = api;
        this.client = new ApiClient(api.url(), key);
    }

    /** Starts it with {@code key} as the one API key, plus any other settings. */
    static RunningApi start(String name, String key, Map<String, String> settings) {
        Map<String, String> env = new HashMap<>(settings);
        env.put("TOKENLEDGER_API_KEYS", env.containsKey("TOKENLEDGER_API_KEYS") ? env.get("TOKENLEDGER_API_KEYS") : key);
        env.putIfAbsent("TOKENLEDGER_DASHBOARD_PASSWORD", "dashboard-" + key);
        LedgerConfig config = TestLedger.config(env);
        PostgresDatabase postgres = TestPostgres.freshDatabase(name);
        FailingClickHouse clickHouse = new FailingClickHouse(TestClickHouse.embedded(name));
        Ledger ledger = TestLedger.open(config, Ledger.Mode.SERVICE, postgres, clickHouse);
        return new RunningApi(postgres, clickHouse, ledger, HttpApi.start(ledger), key);
    }

    @Override
    public void close() {
        api.close();
        ledger.close();
        clickHouse.close();
        postgres.close();
    }
}
