package dev.tokenledger.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code ./tokenledger installation}: whether this PostgreSQL and this ClickHouse belong to the same ledger, and
 * adopting ClickHouse's id after PostgreSQL was re-created for it (only with --yes).
 */
class InstallationCommandTest {
    private static PostgresDatabase postgres;
    private static ClickHouse clickHouse;
    private static Ledger ledger;
    private static TestCli cli;
    private static UUID owner;

    @BeforeAll
    static void start() {
        postgres = TestPostgres.freshDatabase("installation_cli");
        clickHouse = TestClickHouse.embedded("installation_cli");
        LedgerConfig config = TestLedger.config(Map.of());
        ledger = TestLedger.open(config, Ledger.Mode.CLIENT, postgres, clickHouse);
        owner = ledger.identity().requireMatch(); // the first writer claims ClickHouse
        cli = new TestCli(config, postgres, clickHouse);
    }

    @AfterAll
    static void stop() {
        if (ledger != null) {
            ledger.close();
        }
        clickHouse.close();
        postgres.close();
    }

    @Test
    void showSaysPostgresAndClickHouseBelongToTheSameLedger() throws Exception {
        TestCli.Run show = cli.run("installation", "show");

        assertThat(show.exit()).as(show.toString()).isZero();
        assertThat(show.out()).contains("PostgreSQL (ledger_installation):      " + owner, owner + " (owner)",
                "match: yes");
        JsonNode json = Output.JSON.readTree(cli.run("installation", "show", "--json").out());
        assertThat(json.get("postgres_id").asText()).isEqualTo(owner.toString());
        assertThat(json.get("clickhouse_ids")).extracting(JsonNode::asText).containsExactly(owner.toString());
        assertThat(json.get("match").asBoolean()).isTrue();
    }

    @Test
    void aRecreatedPostgresIsShownAsAnotherLedgerAndAdoptsClickHousesIdOnlyWithYes() throws Exception {
        AdminSqlFixture.execute(postgres, "UPDATE ledger_installation SET installation_id = gen_random_uuid()");
        UUID recreated = ledger.identity().postgresId();
        try {
            TestCli.Run show = cli.run("installation", "show");
            assertThat(show.exit()).as(show.toString()).isEqualTo(1);
            assertThat(show.out()).contains("match: NO", "installation adopt --yes", "TOKENLEDGER_CLICKHOUSE_URL");

            TestCli.Run refused = cli.run("installation", "adopt");
            assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
            assertThat(refused.err()).contains("refused without --yes", "re-created", owner.toString(),
                    recreated.toString());
            assertThat(ledger.identity().postgresId()).isEqualTo(recreated);

            TestCli.Run adopted = cli.run("installation", "adopt", "--yes");
            assertThat(adopted.exit()).as(adopted.toString()).isZero();
            assertThat(adopted.out()).contains("adopted: this PostgreSQL now has id " + owner + " (was " + recreated + ")");
            assertThat(ledger.identity().postgresId()).isEqualTo(owner);
            assertThat(cli.run("installation", "show").exit()).isZero();
            assertThat(cli.run("installation", "adopt", "--yes").out()).contains("nothing to adopt");
        } finally {
            AdminSqlFixture.execute(postgres, "UPDATE ledger_installation SET installation_id = ?", owner);
        }
    }
}
