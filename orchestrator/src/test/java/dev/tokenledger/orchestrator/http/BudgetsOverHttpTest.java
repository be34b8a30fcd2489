package dev.tokenledger.orchestrator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenledger.orchestrator.keys.ApiKeyStore;
import dev.tokenledger.orchestrator.keys.Scope;
import java.time.InstantSource;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code /v1/budgets} against the running service: set, list, show, delete, validation, and the check. */
class BudgetsOverHttpTest {
    private static final String ADMIN = "env-admin-" + UUID.randomUUID();
    private static RunningApi running;
    private static ApiClient admin;
    private static String writeA;
    private static String adminA;
    private static String readerA;

    @BeforeAll
    static void start() {
        running = RunningApi.start("budgets_http", ADMIN, Map.of("TOKENLEDGER_LOCAL_ONLY", "false",
                "TOKENLEDGER_BUDGET_REFRESH", "100ms"));
        admin = running.client;
        ApiKeyStore store = new ApiKeyStore(running.postgres.dataSource(), InstantSource.system());
        writeA = store.create("ingest-a", Set.of(Scope.USAGE_WRITE), Set.of("ws-a"), "test").secret();
        adminA = store.create("admin-a", Set.of(Scope.ADMIN), Set.of("ws-a"), "test").secret();
        readerA = store.create("reader-a", Set.of(Scope.REPORTS_READ), Set.of("ws-a"), "test").secret();
        for (String key : new String[] {writeA, adminA, readerA}) {
            HttpApiTest.await(() -> as(key).get("/v1/meta").status(), s -> s == 200);
        }
    }

    @AfterAll
    static void stop() {
        if (running != null) {
            running.close();
        }
    }

    private static ApiClient as(String key) {
        return new ApiClient(running.api.url(), key);
    }

    @Test
    void aBudgetIsSetListedShownReplacedAndDeleted() {
        ApiClient.Reply created = admin.put("/v1/budgets/team-a", """
                {"workspace": "ws-a", "period": "week", "time_zone": "Europe/Paris", "limit_usd": "250.50",
                 "thresholds": ["0.9", "0.5"], "hard": false}""");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        JsonNode b = created.json();
        assertThat(b.get("limit_usd").asText()).isEqualTo("250.5");
        assertThat(b.get("thresholds")).extracting(JsonNode::asText).containsExactly("0.5", "0.9");
        assertThat(b.get("time_zone").asText()).isEqualTo("Europe/Paris");
        assertThat(b.get("hard").asBoolean()).isFalse();

        JsonNode shown = HttpApiTest.await(() -> admin.get("/v1/budgets/team-a").json(), j -> !j.get("status").isNull());
        assertThat(shown.at("/status/spend_usd").isTextual()).as("money as a decimal string").isTrue();
        assertThat(shown.at("/status/resets_at").asText()).endsWith("Z");
        assertThat(admin.get("/v1/budgets").json()).extracting(j -> j.get("name").asText()).contains("team-a");

        ApiClient.Reply replaced = admin.put("/v1/budgets/team-a", """
                {"workspace": "ws-a", "period": "month", "limit_usd": "100"}""");
        assertThat(replaced.status()).isEqualTo(200);
        assertThat(admin.get("/v1/budgets/team-a").json().get("thresholds")).extracting(JsonNode::asText)
                .containsExactly("0.5", "0.8", "1");

        assertThat(admin.delete("/v1/budgets/team-a").status()).isEqualTo(204);
        assertThat(admin.get("/v1/budgets/team-a").status()).isEqualTo(404);
        assertThat(admin.delete("/v1/budgets/team-a").status()).isEqualTo(404);
    }

    @Test
    void anInvalidBudgetIsRefusedWith400NamingTheField() {
        Map<String, String> bodies = Map.of(
                "limit_usd", "{\"workspace\": \"ws-a\", \"period\": \"day\", \"limit_usd\": \"-5\"}",
                "period", "{\"workspace\": \"ws-a\", \"period\": \"year\", \"limit_usd\": \"5\"}",
                "workspace", "{\"period\": \"day\", \"limit_usd\": \"5\"}",
                "time_zone", "{\"workspace\": \"ws-a\", \"period\": \"day\", \"limit_usd\": \"5\", \"time_zone\": \"Mars\"}",
                "thresholds", "{\"workspace\": \"ws-a\", \"period\": \"day\", \"limit_usd\": \"5\", \"thresholds\": [\"lots\"]}",
                "colour", "{\"workspace\": \"ws-a\", \"period\": \"day\", \"limit_usd\": \"5\", \"colour\": \"red\"}",
                "user", "{\"workspace\": \"ws-a\", \"period\": \"day\", \"limit_usd\": \"5\", \"user\": \"u\", \"agent\": \"a\"}");
        bodies.forEach((field, body) -> {
            ApiClient.Reply r = admin.put("/v1/budgets/bad", body);
            assertThat(r.status()).as(field + ": " + r.body()).isEqualTo(400);
            assertThat(r.json().get("parameter").asText()).as(r.body()).isEqualTo(field);
        });
        assertThat(admin.put("/v1/budgets/Bad%20Name", "{\"workspace\": \"ws-a\", \"period\": \"day\","
                + " \"limit_usd\": \"5\"}").json().get("parameter").asText()).isEqualTo("name");
        assertThat(admin.get("/v1/budgets/bad").status()).isEqualTo(404);
    }

    @Test
    void theCheckAnswersForTheKeysWorkspaceAndRefusesAnother() {
        assertThat(admin.put("/v1/budgets/ws-a-daily", """
                {"workspace": "ws-a", "period": "day", "limit_usd": "0.000001"}""").status()).isEqualTo(201);
        assertThat(admin.put("/v1/budgets/ws-b-daily", """
                {"workspace": "ws-b", "period": "day", "limit_usd": "1000"}""").status()).isEqualTo(201);
        assertThat(as(writeA).post("/v1/usage", UsageJson.event("ws-a")).status()).isEqualTo(202);

        JsonNode check = HttpApiTest.await(() -> as(writeA).get("/v1/budgets/check?workspace=ws-a&user=u-1&model=gpt-4o")
                .json(), j -> !j.get("allowed").asBoolean());
        JsonNode tight = check.get("budgets").get(0);
        assertThat(tight.get("name").asText()).isEqualTo("ws-a-daily");
        assertThat(tight.at("/status/over").asBoolean()).isTrue();
        assertThat(tight.at("/status/remaining_usd").asText()).isEqualTo("0.000000000000");
        assertThat(tight.at("/status/unpriced_events").isIntegralNumber()).isTrue();

        ApiClient.Reply refused = as(writeA).get("/v1/budgets/check?workspace=ws-b");
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.body()).contains("ws-b");
        assertThat(as(writeA).get("/v1/budgets/check").json().get("parameter").asText()).isEqualTo("workspace");
        assertThat(as(writeA).get("/v1/budgets").status()).as("listing needs admin").isEqualTo(403);

        // An admin key kept to ws-a sees and sets only ws-a's budgets.
        assertThat(as(adminA).get("/v1/budgets").json()).extracting(j -> j.get("workspace").asText())
                .containsOnly("ws-a");
        assertThat(as(adminA).get("/v1/budgets/ws-b-daily").status()).isEqualTo(404);
        assertThat(as(adminA).put("/v1/budgets/ws-b-daily", """
                {"workspace": "ws-b", "period": "day", "limit_usd": "1"}""").status()).isEqualTo(403);

        String metrics = HttpApiTest.await(() -> admin.get("/metrics").body(),
                m -> m.contains("tokenledger_budget_ratio{budget=\"ws-a-daily\""));
        assertThat(metrics).contains("tokenledger_budget_spend_usd{budget=\"ws-a-daily\",workspace=\"ws-a\"}");
        admin.delete("/v1/budgets/ws-a-daily");
        admin.delete("/v1/budgets/ws-b-daily");
    }

    @Test
    void aReportsKeySeesTheBurnDownOfItsWorkspacesBudgetsEndingAtTheirSpend() {
        assertThat(admin.put("/v1/budgets/burn-a", """
                {"workspace": "ws-a", "period": "month", "limit_usd": "0.000001"}""").status()).isEqualTo(201);
        assertThat(admin.put("/v1/budgets/burn-b", """
                {"workspace": "ws-b", "period": "month", "limit_usd": "1000"}""").status()).isEqualTo(201);
        assertThat(as(writeA).post("/v1/usage", UsageJson.event("ws-a")).status()).isEqualTo(202);

        JsonNode burn = HttpApiTest.await(() -> as(readerA).get("/v1/reports/budgets").json(),
                j -> j.size() > 0 && j.findValues("spend_usd").stream().anyMatch(v -> v.asText().matches(".*[1-9].*")));
        assertThat(burn).extracting(j -> j.at("/budget/workspace").asText()).containsOnly("ws-a");
        JsonNode a = java.util.stream.StreamSupport.stream(burn.spliterator(), false)
                .filter(j -> j.at("/budget/name").asText().equals("burn-a")).findFirst().orElseThrow();
        JsonNode points = a.get("points");
        assertThat(points.get(0).get("spend_usd").asText()).isEqualTo("0.000000000000");
        assertThat(points.get(points.size() - 1).get("spend_usd").asText()).as("money as a decimal string")
                .isEqualTo(a.get("spend_usd").asText());
        assertThat(a.get("forecast_over").asBoolean()).isTrue();
        assertThat(a.get("exhausted_at").asText()).endsWith("Z");
        assertThat(a.get("resets_at").asText()).isEqualTo(java.time.YearMonth.now(java.time.ZoneOffset.UTC).plusMonths(1)
                .atDay(1) + "T00:00:00Z");

        assertThat(as(readerA).get("/v1/reports/budgets?name=burn-b").status()).as("another workspace's budget")
                .isEqualTo(404);
        ApiClient.Reply badAt = as(readerA).get("/v1/reports/budgets?at=yesterday");
        assertThat(badAt.status()).isEqualTo(400);
        assertThat(badAt.json().get("parameter").asText()).isEqualTo("at");
        ApiClient.Reply unknown = as(readerA).get("/v1/reports/budgets?budget=burn-a");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().get("error").asText()).isEqualTo("parameter 'budget' is not known; use at, name");
        JsonNode lastYear = as(readerA).get("/v1/reports/budgets?name=burn-a&at=2025-06-15").json().get(0);
        assertThat(lastYear.get("period_start").asText()).isEqualTo("2025-06-01T00:00:00Z");
        assertThat(lastYear.get("spend_usd").asText()).isEqualTo("0.000000000000");
        assertThat(as(writeA).get("/v1/reports/budgets").status()).as("needs reports:read").isEqualTo(403);
        admin.delete("/v1/budgets/burn-a");
        admin.delete("/v1/budgets/burn-b");
    }
}
