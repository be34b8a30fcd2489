package dev.tokenledger.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerConfigTest {

    @Test
    void withNothingSetEverythingIsEmbeddedUnderTheHome() {
        LedgerConfig c = LedgerConfig.from(Map.of("TOKENLEDGER_HOME", "/tmp/x"));
        assertThat(c.postgres().isEmbedded()).isTrue();
        assertThat(c.embeddedClickHouse()).isTrue();
        assertThat(c.home()).isEqualTo(Path.of("/tmp/x"));
        assertThat(c.writer().jobRetries()).isEqualTo(11);
        assertThat(c.writer().linger()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void aClickHouseClusterIsNamedForAServerOnlyAndTheDefaultIsOneNode() {
        assertThat(LedgerConfig.from(Map.of("TOKENLEDGER_HOME", "/tmp/x")).clickHouseTopology())
                .isEqualTo(dev.tokenledger.clickhouse.ClickHouseTopology.SINGLE_NODE);
        LedgerConfig clustered = LedgerConfig.from(Map.of("TOKENLEDGER_CLICKHOUSE_URL", "http://ch:8123",
                "TOKENLEDGER_CLICKHOUSE_CLUSTER", "ledger"));
        assertThat(clustered.clickHouseTopology().onCluster()).isEqualTo(" ON CLUSTER `ledger`");
        assertThatThrownBy(() -> LedgerConfig.from(Map.of("TOKENLEDGER_CLICKHOUSE_CLUSTER", "ledger")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("TOKENLEDGER_CLICKHOUSE_URL")
                .hasMessageContaining("no Keeper");
        assertThatThrownBy(() -> LedgerConfig.from(Map.of("TOKENLEDGER_CLICKHOUSE_URL", "http://ch:8123",
                "TOKENLEDGER_CLICKHOUSE_CLUSTER", "a-b")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("TOKENLEDGER_CLICKHOUSE_CLUSTER");
    }

    @Test
    void aBadValueIsRefusedWithAnErrorNamingTheSetting() {
        assertThatThrownBy(() -> LedgerConfig.from(Map.of("TOKENLEDGER_HTTP_PORT", "eighty")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("TOKENLEDGER_HTTP_PORT").hasMessageContaining("eighty");
        assertThatThrownBy(() -> LedgerConfig.from(Map.of("TOKENLEDGER_BATCH_LINGER", "soon")))
                .hasMessageContaining("TOKENLEDGER_BATCH_LINGER");
        assertThatThrownBy(() -> LedgerConfig.from(Map.of("TOKENLEDGER_JOB_RETRIES", "3")))
                .hasMessageContaining("TOKENLEDGER_JOB_RETRIES").hasMessageContaining("between 10 and 30");
        assertThatThrownBy(() -> LedgerConfig.from(Map.of("TOKENLEDGER_CLICKHOUSE_URL", "tcp://u:secret@ch:9000")))
                .hasMessageContaining("TOKENLEDGER_CLICKHOUSE_URL").hasMessageNotContaining("secret");
    }

    @Test
    void secretsComeFromTheEnvironmentOrAFileAndAreNeverPrinted(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("pg-password");
        Files.writeString(secret, "s3cret-from-file\n");
        LedgerConfig c = LedgerConfig.from(Map.of(
                "TOKENLEDGER_PG_URL", "jdbc:postgresql://db:5432/ledger",
                "TOKENLEDGER_PG_PASSWORD_FILE", secret.toString(),
                "TOKENLEDGER_API_KEYS", "key-aaaaaaaaaaaaaaaa,key-bbbbbbbbbbbbbbbb",
                "TOKENLEDGER_DASHBOARD_PASSWORD", "dashboard-secret"));
        assertThat(c.postgres().password()).isEqualTo("s3cret-from-file");
        assertThat(c.http().apiKeys()).hasSize(2);
        assertThat(c.toString()).doesNotContain("s3cret-from-file", "key-aaaaaaaaaaaaaaaa", "dashboard-secret");
    }

    @Test
    void theEnvironmentWinsOverTheConfigurationFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokenledger.properties");
        Files.writeString(file, "TOKENLEDGER_WORKERS=8\nTOKENLEDGER_HTTP_PORT=9999\n");
        LedgerConfig c = LedgerConfig.from(Map.of("TOKENLEDGER_CONFIG_FILE", file.toString(),
                "TOKENLEDGER_HTTP_PORT", "7777"));
        assertThat(c.workers()).isEqualTo(8);
        assertThat(c.http().port()).isEqualTo(7777);
    }

    @Test
    void thePoolMustFitTheWorkersAndCommitThreads() {
        assertThatThrownBy(() -> LedgerConfig.from(Map.of("TOKENLEDGER_WORKERS", "40")))
                .hasMessageContaining("TOKENLEDGER_PG_POOL_SIZE");
    }

    @Test
    void theDefaultHomeFollowsTheHomeVariableLikeAShellDoes() {
        LedgerConfig c = LedgerConfig.from(Map.of("HOME", "/tmp/someone"));
        assertThat(c.home()).isEqualTo(Path.of("/tmp/someone/.tokenledger"));
    }
}
