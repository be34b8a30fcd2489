package dev.tokenledger.orchestrator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.orchestrator.LedgerConfig;
import dev.tokenledger.orchestrator.TestLedger;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.usage.TestPipeline;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The roles of a scaled-out deployment on one PostgreSQL and one ClickHouse: an API process ({@code serve --role api})
 * records and answers but runs nothing in the background; a worker process ({@code worker}) writes what any API
 * process recorded, runs the recurring jobs, and serves only health and metrics.
 */
class ScaleOutRolesTest {
    private static final String KEY = "scale-out-roles-test-key";

    @Test
    void anApiProcessRecordsWithoutWritingAndAWorkerProcessWritesWhatItRecordedAndServesOnlyHealthAndMetrics()
            throws SQLException {
        LedgerConfig config = TestLedger.config(Map.of("TOKENLEDGER_API_KEYS", KEY, "TOKENLEDGER_WORKER_PORT", "0"));
        try (PostgresDatabase postgres = TestPostgres.freshDatabase("scale_out_roles");
             ClickHouse clickHouse = TestClickHouse.embedded("scale_out_roles")) {
            List<String> eventIds = new ArrayList<>();
            try (Ledger apiLedger = TestLedger.open(config, Ledger.Mode.API, postgres, clickHouse);
                 HttpApi api = HttpApi.start(apiLedger)) {
                ApiClient client = new ApiClient(api.url(), KEY);
                for (int call = 0; call < 3; call++) {
                    var events = UsageJson.array(UsageJson.event("acme"), UsageJson.event("acme"));
                    events.forEach(e -> eventIds.add(e.get("event_id").asText()));
                    assertThat(client.post("/v1/usage", events).status()).isEqualTo(202);
                }
                assertThat(client.get("/v1/reports/model").status()).as("reports are read from ClickHouse").isEqualTo(200);
                assertThat(client.get("/v1/budgets/check?workspace=acme").status()).isEqualTo(200);

                assertThat(apiLedger.jobServer()).as("no JobRunr background server").isEmpty();
                assertThat(apiLedger.writer()).as("no writer, no sealer").isEmpty();
                TestPipeline.await(() -> apiLedger.budgets().lastRefresh() != null, Duration.ofSeconds(30),
                        () -> "budgets are not refreshed (checks answer from memory)");
                assertThat(count(postgres, "SELECT count(*) FROM jobrunr_recurring_jobs")).as("recurring jobs").isZero();
                assertThat(count(postgres, "SELECT count(*) FROM usage_event")).isEqualTo(6);
                assertThat(count(postgres, "SELECT count(*) FROM usage_batch")).as("nothing sealed").isZero();
                assertThat(rows(clickHouse)).as("nothing written to ClickHouse").isZero();
            }

            try (Ledger workerLedger = TestLedger.open(config, Ledger.Mode.WORKER_PROCESS, postgres, clickHouse);
                 HttpApi operations = HttpApi.startOperations(workerLedger)) {
                TestPipeline.await(() -> rows(clickHouse) == 6 && unwrittenBatches(postgres) == 0, Duration.ofSeconds(60),
                        () -> "llm_usage holds " + rows(clickHouse) + " of the 6 recorded events");
                assertThat(count(postgres, "SELECT count(*) FROM usage_batch WHERE written_by = '"
                        + ManagementFactory.getRuntimeMXBean().getName() + "'"))
                        .as("every batch names the process that wrote it")
                        .isEqualTo(count(postgres, "SELECT count(*) FROM usage_batch"));
                assertThat(count(postgres, "SELECT count(*) FROM jobrunr_recurring_jobs WHERE id IN"
                        + " ('pricing_refresh', 'usage_purge', 'usage_reconcile')")).as("recurring jobs").isEqualTo(3);
                TestPipeline.await(() -> workerLedger.writer().orElseThrow().sealing(), Duration.ofSeconds(30),
                        () -> "the only writer does not seal");

                ApiClient client = new ApiClient(operations.url(), KEY);
                assertThat(client.withKey(null).get("/healthz").status()).isEqualTo(200);
                ApiClient.Reply ready = client.get("/readyz");
                assertThat(ready.body()).contains("\"sealer\"").contains("sealing in this process");
                assertThat(client.get("/metrics").body()).contains("tokenledger_");
                assertThat(client.withKey(null).get("/metrics").status()).as("metrics need a key").isEqualTo(401);
                assertThat(client.post("/v1/usage", UsageJson.array(UsageJson.event("acme"))).status())
                        .as("a worker serves no API").isEqualTo(404);
                assertThat(client.get("/v1/reports/model").status()).isEqualTo(404);
            }
        }
    }

    private static long rows(ClickHouse clickHouse) {
        return Long.parseLong(clickHouse.query("SELECT count() AS n FROM llm_usage").getFirst().string("n"));
    }

    private static long unwrittenBatches(PostgresDatabase postgres) {
        try {
            return count(postgres, "SELECT count(*) FROM usage_batch WHERE written_at IS NULL");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long count(PostgresDatabase postgres, String sql) throws SQLException {
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
