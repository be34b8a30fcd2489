package dev.tokenledger.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is generated from {@link Setting}; this keeps the two from drifting apart. */
class ConfigurationDocTest {
    private static final Path DOC = Path.of("..", "docs", "configuration.md");
    private static final String REWRITE = "tokenledger.rewriteDocs";

    @Test
    void theConfigurationPageIsWhatTheSettingsSay() throws IOException {
        if (Boolean.getBoolean(REWRITE)) {
            Files.writeString(DOC, Setting.markdown());
        }
        assertThat(Files.exists(DOC) ? Files.readString(DOC) : "")
                .as("docs/configuration.md is out of date; regenerate it with"
                        + " ./mvnw -pl orchestrator -am verify -Dtest=ConfigurationDocTest"
                        + " -Dsurefire.failIfNoSpecifiedTests=false -D" + REWRITE + "=true")
                .isEqualTo(Setting.markdown());
    }

    @Test
    void everySettingIsNamedInTheEnvironmentsNamespaceAndDocumented() {
        for (Setting s : Setting.values()) {
            assertThat(s.env).startsWith("TOKENLEDGER_");
            assertThat(s.meaning).isNotBlank().endsWith(".");
        }
    }
}
