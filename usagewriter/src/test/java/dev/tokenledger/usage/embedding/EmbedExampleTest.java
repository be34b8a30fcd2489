package dev.tokenledger.usage.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.usage.TestPipeline;
import dev.tokenledger.usage.TokenLedger;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README's embedding example is the compiled one, and what it records reaches ClickHouse exactly once. */
class EmbedExampleTest {

    @Test
    void theReadmeShowsTheCompiledExampleLineForLine() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        assertThat(readme).contains("## Embed it in your orchestrator");
        assertThat(readme).as("README.md must show EmbedExample's lines between README:begin and README:end")
                .contains(snippet());
    }

    @Test
    void theExamplesThreeEventsReachClickHouseExactlyOnce() throws Exception {
        ServerClickHouse.Settings settings = TestClickHouse.serverSettings("embed_example");
        try (PostgresDatabase postgres = TestPostgres.freshDatabase("embed_example");
             ClickHouse clickHouse = ServerClickHouse.open(settings)) {
            EmbedExample.run(postgres.dataSource(), settings);

            // The example closes its ledger at once: what it recorded is durable and is written by the next start.
            try (TokenLedger ledger = TokenLedger.builder().postgres(postgres.dataSource()).clickHouse(clickHouse)
                    .build().start()) {
                TestPipeline.await(() -> clickHouse.query("SELECT count() AS n FROM llm_usage").getFirst()
                        .int64("n") >= 3, Duration.ofSeconds(60), () -> "the example's events were not written");
                var row = clickHouse.query("SELECT count() AS n, uniqExact(event_id) AS ids,"
                        + " toString(sum(cost_usd)) AS cost FROM llm_usage WHERE workspace_id = 'acme'").getFirst();
                assertThat(row.int64("n")).isEqualTo(3);
                assertThat(row.int64("ids")).isEqualTo(3);
                assertThat(new java.math.BigDecimal(row.string("cost"))).isPositive();
                java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
                TestPipeline.await(() -> ledger.reconciler().reconcile(today.minusDays(1), today).clean(),
                        Duration.ofSeconds(30), () -> "reconcile is not clean");
            }
        }
    }

    /** The lines between the markers, without the indentation they have in the method. */
    private static String snippet() throws IOException {
        List<String> lines = Files.readAllLines(
                Path.of("src/test/java/dev/tokenledger/usage/embedding/EmbedExample.java"));
        List<String> body = new ArrayList<>(lines.subList(indexOf(lines, "// README:begin") + 1,
                indexOf(lines, "// README:end")));
        int indent = body.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        return body.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).collect(Collectors.joining("\n"));
    }

    private static int indexOf(List<String> lines, String marker) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(marker)) {
                return i;
            }
        }
        throw new AssertionError("EmbedExample.java has no line " + marker);
    }
}
