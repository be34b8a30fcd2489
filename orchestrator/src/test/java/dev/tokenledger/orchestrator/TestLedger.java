package dev.tokenledger.orchestrator;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;

/** Builds a {@link Ledger} the way the service does, on databases a test opened (and closes after it). */
public final class TestLedger {
    private TestLedger() {
    }

    /**
     * A configuration as the environment would give it: a temporary home, the HTTP API on a free port,
     * the dashboard on another free port, then {@code overrides} ({@code TOKENLEDGER_*} names).
     */
    public static LedgerConfig config(Map<String, String> overrides) {
        Map<String, String> env = new HashMap<>();
        try {
            env.put("TOKENLEDGER_HOME", Files.createTempDirectory("tokenledger-test-home").toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        env.put("TOKENLEDGER_HTTP_PORT", "0");
        env.put("TOKENLEDGER_DASHBOARD_PORT", Integer.toString(freePort()));
        env.putAll(overrides);
        return LedgerConfig.from(env);
    }

    public static Ledger open(LedgerConfig config, Ledger.Mode mode, PostgresDatabase postgres, ClickHouse clickHouse) {
        return Ledger.onDatabases(config, mode, InstantSource.system(), postgres, clickHouse);
    }

    /** A port free right now (JobRunr's dashboard cannot be asked which port it took). */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
