package dev.tokenledger.orchestrator;

import dev.tokenledger.postgres.PostgresDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * Dead letters the way they happen: a row in usage_event whose stored values fail validation (total_tokens is
 * not prompt + completion; record() refuses that, so it is written by SQL, as a buggy or older writer would),
 * which the running usage writer then isolates from its batch into usage_dead_letter.
 */
public final class DeadLetterFixture {
    /** The stored total_tokens; the prompt and completion tokens are 10 and 5. */
    public static final int WRONG_TOTAL = 999;

    private DeadLetterFixture() {
    }

    /** Stores the invalid event a minute ago and returns its event_id; a running writer dead-letters it. */
    public static UUID storeInvalidEvent(PostgresDatabase postgres) {
        UUID id = UUID.randomUUID();
        try (Connection c = postgres.dataSource().getConnection(); PreparedStatement st = c.prepareStatement(
                "INSERT INTO usage_event (event_id, event_time, user_id, workspace_id, model, prompt_tokens,"
                        + " completion_tokens, total_tokens) VALUES (?, ?, 'u-dead', 'ws-dead', 'gpt-4o', 10, 5, ?)")) {
            st.setObject(1, id);
            st.setTimestamp(2, Timestamp.from(Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.MILLIS)));
            st.setInt(3, WRONG_TOTAL);
            st.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot store the invalid event", e);
        }
        return id;
    }

    /** Stores an invalid event and waits until the running writer has dead-lettered it. */
    public static UUID deadLetter(Ledger ledger) {
        UUID id = storeInvalidEvent(ledger.postgres());
        try {
            org.awaitility.Awaitility.await("the writer dead-letters " + id).atMost(Duration.ofSeconds(60))
                    .dontCatchUncaughtExceptions().pollInSameThread().pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(50)).until(() -> ledger.deadLetters().find(id).isPresent());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("event " + id + " was not dead-lettered within 60 s", e);
        }
        try {
            DemoData.awaitWritten(ledger, Duration.ofSeconds(60)); // its batch is marked written too
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return id;
    }
}
