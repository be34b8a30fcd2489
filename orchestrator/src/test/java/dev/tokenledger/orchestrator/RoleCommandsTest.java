package dev.tokenledger.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The scaled-out roles' commands check their configuration before they open anything: the CLI here has no
 * databases at all, so a command that got as far as opening one would fail differently.
 */
class RoleCommandsTest {
    private final TestCli cli = new TestCli(TestLedger.config(Map.of()), null, null);

    @Test
    void serveRoleApiAndWorkerRefuseToStartWithoutAClickHouseServerUrlAndSayWhichSettingIsMissing() {
        for (String[] command : new String[][] {{"serve", "--role", "api"}, {"worker"}}) {
            TestCli.Run run = cli.run(command);
            assertThat(run.exit()).as("%s", run).isEqualTo(2);
            assertThat(run.err()).contains("TOKENLEDGER_CLICKHOUSE_URL").contains("one process only")
                    .contains("`" + String.join(" ", command) + "`");
        }
    }

    @Test
    void serveTakesOnlyTheRolesAllAndApi() {
        TestCli.Run run = cli.run("serve", "--role", "writer");
        assertThat(run.exit()).as("%s", run).isEqualTo(2);
        assertThat(run.err()).contains("--role must be all or api").contains("./tokenledger worker");
    }

    @Test
    void theWorkerPortIsASettingWithItsDefault() {
        assertThat(TestLedger.config(Map.of()).http().workerPort()).isEqualTo(8081);
        assertThat(TestLedger.config(Map.of("TOKENLEDGER_WORKER_PORT", "9091")).http().workerPort()).isEqualTo(9091);
    }
}
