package dev.tokenledger.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ServerClickHouseSettingsTest {

    @Test
    void thePasswordNeverAppearsInTheSettingsText() {
        var settings = ServerClickHouse.Settings.of("http://ch:8123", "writer", "s3cret-pa55", "tokenledger");

        assertThat(settings.toString()).doesNotContain("s3cret-pa55").contains("password=***").contains("user=writer");
    }

    @Test
    void everyTimeoutMustBeFiniteAndPositive() {
        assertThatThrownBy(() -> new ServerClickHouse.Settings("http://ch:8123", "u", "", "db",
                Duration.ofSeconds(1), Duration.ZERO, Duration.ofSeconds(1), true))
                .hasMessageContaining("socketTimeout");
    }

    @Test
    void aServerThatDoesNotAnswerIsAnOutageWithoutAnEngineCode() {
        var settings = new ServerClickHouse.Settings("http://127.0.0.1:1", "default", "", "db",
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(2), false);

        assertThatThrownBy(() -> ServerClickHouse.open(settings))
                .isInstanceOfSatisfying(ClickHouseException.class, e -> {
                    assertThat(e.isRejectedByEngine()).isFalse();
                    assertThat(e.code()).isEmpty();
                });
    }
}
