package dev.tokenledger.orchestrator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenledger.orchestrator.DeadLetterFixture;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A dead letter is the ledger's business until an admin resolves it: the service shows it in /readyz (check
 * {@code dead_letters} DEGRADED, so 503) and in /metrics ({@code tokenledger_dead_letters_unresolved}), and both
 * come back once it is discarded. Its own service: a dead letter here would turn any other test's /readyz 503.
 */
class DeadLetterHealthTest {
    private static final String KEY = "dead-letter-key-" + UUID.randomUUID();
    private static RunningApi running;
    private static ApiClient client;

    @BeforeAll
    static void start() {
        running = RunningApi.start("dead_letter_health", KEY, Map.of());
        client = running.client;
    }

    @AfterAll
    static void stop() {
        if (running != null) {
            running.close();
        }
    }

    @Test
    void aDeadLetterMakesReadyz503WithDeadLettersDegradedAndTheGaugeOneUntilItIsDiscarded() {
        HttpApiTest.await(() -> client.get("/readyz"), r -> r.status() == 200);
        assertThat(unresolvedGauge()).isZero();
        assertThat(check(client.get("/readyz").json(), "dead_letters").get("status").asText()).isEqualTo("UP");

        UUID id = DeadLetterFixture.deadLetter(running.ledger);

        ApiClient.Reply degraded = client.get("/readyz");
        assertThat(degraded.status()).as(degraded.body()).isEqualTo(503);
        assertThat(degraded.json().get("status").asText()).isEqualTo("DEGRADED");
        JsonNode check = check(degraded.json(), "dead_letters");
        assertThat(check.get("status").asText()).isEqualTo("DEGRADED");
        assertThat(check.get("detail").asText())
                .isEqualTo("1 dead letter(s) wait for replay or discard: ./tokenledger dead-letters list");
        assertThat(degraded.json().get("checks")).filteredOn(c -> !c.get("name").asText().equals("dead_letters"))
                .extracting(c -> c.get("status").asText()).containsOnly("UP");
        assertThat(unresolvedGauge()).isEqualTo(1);

        running.ledger.deadLetters().discard(id, "not billable: a test event", "test");

        ApiClient.Reply ready = client.get("/readyz");
        assertThat(ready.status()).as(ready.body()).isEqualTo(200);
        assertThat(check(ready.json(), "dead_letters").get("detail").asText()).isEqualTo("none unresolved");
        assertThat(unresolvedGauge()).isZero();
    }

    private static double unresolvedGauge() {
        return HttpApiTest.value(client.get("/metrics").body(), "tokenledger_dead_letters_unresolved");
    }

    private static JsonNode check(JsonNode health, String name) {
        for (JsonNode c : health.get("checks")) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no check named " + name + " in " + health);
    }
}
