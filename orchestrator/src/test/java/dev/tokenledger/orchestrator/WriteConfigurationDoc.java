package dev.tokenledger.orchestrator;

import java.nio.file.Files;
import java.nio.file.Path;

/** Regenerates docs/configuration.md from {@link Setting} (run from the orchestrator directory). */
final class WriteConfigurationDoc {
    private WriteConfigurationDoc() {
    }

    public static void main(String[] args) throws Exception {
        Files.writeString(Path.of("..", "docs", "configuration.md"), Setting.markdown());
    }
}
