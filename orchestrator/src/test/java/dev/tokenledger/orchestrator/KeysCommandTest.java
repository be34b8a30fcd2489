package dev.tokenledger.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code ./tokenledger keys create|list|revoke}: the secret printed once, never listed, revocation kept. */
class KeysCommandTest {
    private static PostgresDatabase postgres;
    private static ClickHouse clickHouse;
    private static TestCli cli;

    @BeforeAll
    static void start() {
        postgres = TestPostgres.freshDatabase("keys_cli");
        clickHouse = TestClickHouse.embedded("keys_cli");
        cli = new TestCli(TestLedger.config(Map.of()), postgres, clickHouse);
    }

    @AfterAll
    static void stop() {
        clickHouse.close();
        postgres.close();
    }

    @Test
    void createPrintsTheKeyOnceAndListShowsEverythingButIt() throws Exception {
        TestCli.Run created = cli.run("keys", "create", "--name", "team-a-ingest", "--scope", "usage:write",
                "--workspace", "ws-a,ws-b");
        assertThat(created.exit()).as(created.toString()).isZero();
        String secret = created.out().strip();
        assertThat(secret).matches("tl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}");
        assertThat(created.err()).contains("team-a-ingest", "usage:write", "ws-a, ws-b", "not shown again");

        TestCli.Run list = cli.run("keys", "list");
        assertThat(list.exit()).as(list.toString()).isZero();
        assertThat(list.out()).contains("team-a-ingest", "usage:write", "ws-a,ws-b", "never", "live")
                .doesNotContain(secret).doesNotContain(secret.substring(16));
        JsonNode json = Output.JSON.readTree(cli.run("keys", "list", "--json").out());
        assertThat(json).hasSize(1);
        assertThat(json.get(0).get("key_id").asText()).isEqualTo(secret.substring(3, 15));
        assertThat(json.get(0).get("scopes")).extracting(JsonNode::asText).containsExactly("usage:write");
        assertThat(json.toString()).doesNotContain(secret.substring(16));

        TestCli.Run again = cli.run("keys", "create", "--name", "team-a-ingest", "--scope", "reports:read");
        assertThat(again.exit()).as("a live key of that name exists").isEqualTo(1);
        assertThat(again.err()).contains("team-a-ingest");

        TestCli.Run revoked = cli.run("keys", "revoke", "team-a-ingest");
        assertThat(revoked.exit()).as(revoked.toString()).isZero();
        assertThat(cli.run("keys", "list").out()).contains("no live stored keys");
        assertThat(cli.run("keys", "list", "--all").out()).contains("team-a-ingest", "revoked");
        assertThat(cli.run("keys", "revoke", "team-a-ingest").exit()).as("nothing left to revoke").isEqualTo(1);
        assertThat(cli.run("keys", "create", "--name", "team-a-ingest", "--scope", "reports:read").exit())
                .as("the name of a revoked key may be used again").isZero();
    }

    @Test
    void anUnknownScopeIsAUsageErrorNamingTheChoices() throws Exception {
        TestCli.Run bad = cli.run("keys", "create", "--name", "x", "--scope", "write");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("usage:write", "reports:read", "admin", "'write'");
    }
}
