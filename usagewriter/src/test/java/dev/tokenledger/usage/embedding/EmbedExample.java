package dev.tokenledger.usage.embedding;

import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.usage.TokenLedger;
import dev.tokenledger.usage.UsageEvent;
import dev.tokenledger.usage.UsageRecorder;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * The README's "Embed it in your orchestrator" example, line for line: the build compiles it and
 * {@link EmbedExampleTest} runs it and checks that the README still shows exactly these lines. It lives outside
 * {@code dev.tokenledger.usage}, as a host would, so it can only use the public API.
 */
final class EmbedExample {
    private EmbedExample() {
    }

    static void run(DataSource dataSource, ServerClickHouse.Settings clickHouse) throws SQLException {
        // README:begin
        try (TokenLedger ledger = TokenLedger.builder()
                .postgres(dataSource)                  // your pool: tokenledger migrates its own tables in
                .clickHouse(clickHouse)                // ServerClickHouse.Settings.of(url, user, password, database)
                .build()
                .start()) {                            // its own JobRunr workers (or your JobRunr's: see below)
            UsageRecorder recorder = ledger.recorder();
            Supplier<UsageEvent> llmCall = () -> UsageEvent.builder()
                    .eventId(UUID.randomUUID())        // idempotency key: a retry with the same id is a duplicate
                    .eventTime(Instant.now())
                    .userId("u-17").workspaceId("acme").agentId("planner")
                    .model("gpt-4o").provider("openai")
                    .promptTokens(1200).cachedTokens(200).completionTokens(300)
                    .build();
            recorder.record(llmCall.get());                        // 1. durable in PostgreSQL when this returns
            recorder.recordAsync(List.of(llmCall.get())).join();   // 2. returns at once; completes on commit
            try (Connection tx = dataSource.getConnection()) {     // 3. inside your own transaction:
                tx.setAutoCommit(false);                           //    rolled back, never recorded
                recorder.record(tx, List.of(llmCall.get()));
                tx.commit();
            }
        }
        // README:end
    }
}
