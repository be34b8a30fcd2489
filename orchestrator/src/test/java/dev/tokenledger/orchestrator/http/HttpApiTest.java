package dev.tokenledger.orchestrator.http;

import dev.tokenledger.usage.Reports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenledger.orchestrator.ConfigException;
import dev.tokenledger.orchestrator.CostExplanationJson;
import dev.tokenledger.orchestrator.FailingClickHouse;
import dev.tokenledger.orchestrator.JsonConventions;
import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.orchestrator.LedgerConfig;
import dev.tokenledger.orchestrator.ReportJson;
import dev.tokenledger.orchestrator.TestLedger;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.pricing.OverrideRequest;
import dev.tokenledger.usage.TestEvents;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HTTP API end to end: a {@link Ledger} running as the service (JobRunr server, usage writer,
 * dashboard) on a fresh PostgreSQL database and an embedded ClickHouse, driven through HTTP.
 */
class HttpApiTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final String KEY = "test-key-" + UUID.randomUUID();
    private static final String OTHER_KEY = "other-key-" + UUID.randomUUID();
    private static final String DASHBOARD_PASSWORD = "dashboard-secret-" + UUID.randomUUID();
    private static final String PG_PASSWORD = "pg-secret-" + UUID.randomUUID();
    private static final int MAX_BODY = 64 * 1024;

    private static LogCapture logs;
    private static RunningApi running;
    private static PostgresDatabase postgres;
    private static FailingClickHouse clickHouse;
    private static Ledger ledger;
    private static ApiClient client;

    @BeforeAll
    static void start() {
        logs = LogCapture.attach();
        running = RunningApi.start("http_api", KEY, Map.of(
                "TOKENLEDGER_API_KEYS", KEY + "," + OTHER_KEY,
                "TOKENLEDGER_DASHBOARD_PASSWORD", DASHBOARD_PASSWORD,
                "TOKENLEDGER_PG_PASSWORD", PG_PASSWORD,
                "TOKENLEDGER_MAX_BODY_BYTES", Integer.toString(MAX_BODY)));
        postgres = running.postgres;
        clickHouse = running.clickHouse;
        ledger = running.ledger;
        client = running.client;
    }

    @AfterAll
    static void stop() {
        if (running != null) {
            running.close();
        }
        if (logs != null) {
            logs.close();
        }
    }

    @Test
    void goodBadAndDuplicateEventsPostedOverHttpAreCountedOnceInTheModelReport() {
        String ws = workspace();
        ObjectNode first = UsageJson.event(ws);
        ObjectNode second = UsageJson.event(ws).put("model", "gpt-4o-mini").put("prompt_tokens", 900)
                .put("cached_tokens", 0).put("completion_tokens", 100);
        ObjectNode bad = UsageJson.event(ws).put("prompt_tokens", -5);

        ApiClient.Reply reply = client.post("/v1/usage", UsageJson.array(first, second, bad));
        assertThat(reply.status()).isEqualTo(207);
        ApiClient.Reply again = client.post("/v1/usage", first);
        assertThat(again.status()).as("a re-sent event is no error: it is already durable").isEqualTo(202);
        assertThat(again.json().at("/results/0/status").asText()).isEqualTo("duplicate");
        assertThat(again.json().get("duplicate").asInt()).isEqualTo(1);

        JsonNode report = await(() -> client.get("/v1/reports/model?workspace=" + ws).json(),
                r -> r.get("total_events").asLong() >= 2);
        assertThat(report.get("source").asText()).isEqualTo("llm_usage_daily");
        assertThat(report.get("lines")).extracting(l -> l.get("key").asText(), l -> l.get("events").asLong())
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("gpt-4o", 1L),
                        org.assertj.core.groups.Tuple.tuple("gpt-4o-mini", 1L));
        assertThat(report.get("total_cost_usd").isTextual()).as("money travels as an exact decimal string").isTrue();
        assertThat(report.get("total_cost_usd").asText()).matches("\\d+\\.\\d{12}");
        assertThat(new java.math.BigDecimal(report.get("total_cost_usd").asText())).isPositive();
        assertThat(report.at("/lines/0/prompt_tokens").isIntegralNumber()).isTrue();
    }

    @Test
    void aBatchWithSomeBadEventsIsAnswered207WithEveryEventsResultInOrder() {
        String ws = workspace();
        ObjectNode good = UsageJson.event(ws);
        ObjectNode wrongTypes = UsageJson.event(ws).put("event_id", "not-a-uuid").put("event_time", "yesterday")
                .put("prompt_tokens", "1200").put("promt_tokens", 1200);
        wrongTypes.putArray("user_id");
        ObjectNode badSum = UsageJson.event(ws).put("total_tokens", 1);

        ApiClient.Reply reply = client.post("/v1/usage", UsageJson.array(good, wrongTypes, badSum,
                ApiClient.JSON.getNodeFactory().numberNode(7)));

        assertThat(reply.status()).isEqualTo(207);
        JsonNode body = reply.json();
        assertThat(body.get("accepted").asInt()).isEqualTo(1);
        assertThat(body.get("rejected").asInt()).isEqualTo(3);
        JsonNode results = body.get("results");
        assertThat(results).extracting(r -> r.get("index").asInt()).containsExactly(0, 1, 2, 3);
        assertThat(results.get(0).get("status").asText()).isEqualTo("accepted");
        assertThat(results.get(0).get("event_id").asText()).isEqualTo(good.get("event_id").asText());
        assertThat(results.get(0).get("errors")).isEmpty();

        assertThat(results.get(1).get("event_id").isNull()).isTrue();
        assertThat(errors(results.get(1))).containsOnlyKeys("event_id", "event_time", "prompt_tokens", "promt_tokens",
                "user_id");
        assertThat(errors(results.get(1)).get("event_id")).contains("UUID");
        assertThat(errors(results.get(1)).get("event_time")).contains("ISO-8601");
        assertThat(errors(results.get(1)).get("prompt_tokens")).isEqualTo("must be a whole number, got a string");
        assertThat(errors(results.get(1)).get("user_id")).isEqualTo("must be a string, got an array");
        assertThat(errors(results.get(1)).get("promt_tokens")).isEqualTo("is not a field of a usage event");

        assertThat(results.get(2).get("event_id").asText()).isEqualTo(badSum.get("event_id").asText());
        assertThat(errors(results.get(2))).containsOnlyKeys("total_tokens");
        assertThat(errors(results.get(3))).containsOnlyKeys("$");
    }

    @Test
    void aBodyWhoseEventsAreAllRejectedIsAnswered400WithTheirErrors() {
        ApiClient.Reply reply = client.post("/v1/usage", UsageJson.event(workspace()).put("prompt_tokens", -1));

        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.json().get("rejected").asInt()).isEqualTo(1);
        assertThat(errors(reply.json().at("/results/0"))).containsOnlyKeys("prompt_tokens");
    }

    @Test
    void aBodyThatIsNotJsonOrNotEventsIsAnswered400WithAClearError() {
        assertThat(error(client.post("/v1/usage", "{\"event_id\": "), 400)).startsWith("the body is not valid JSON");
        assertThat(error(client.post("/v1/usage", "{} {}"), 400)).startsWith("the body is not valid JSON");
        assertThat(error(client.post("/v1/usage", "{\"a\": 1, \"a\": 2}"), 400)).contains("Duplicate field 'a'");
        assertThat(error(client.post("/v1/usage", ""), 400)).startsWith("the body is empty");
        assertThat(error(client.post("/v1/usage", "[]"), 400)).startsWith("the array is empty");
        assertThat(error(client.post("/v1/usage", "\"usage\""), 400))
                .isEqualTo("the body must be a usage event object or an array of them, got a string");
    }

    @Test
    void aBodyOverTheConfiguredLimitIsAnswered413() {
        String ws = workspace();
        StringBuilder body = new StringBuilder("[");
        while (body.length() <= MAX_BODY) {
            body.append(body.length() > 1 ? "," : "").append(UsageJson.event(ws));
        }
        // Expect: 100-continue, so the client takes the early 413 instead of writing into a closed connection
        // (without it, about 2 in 100 such requests read no answer at all: see UsageBodyFuzzTest).
        ApiClient.Reply reply = client.send(client.request("/v1/usage").expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofString(body.append(']').toString()))
                .header("Content-Type", "application/json"));

        assertThat(reply.status()).isEqualTo(413);
        assertThat(reply.json().get("error").asText()).contains("TOKENLEDGER_MAX_BODY_BYTES");

        // Without a Content-Length (chunked), the limit is enforced while reading.
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        ApiClient.Reply chunked = client.send(client.request("/v1/usage")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bytes))));
        assertThat(chunked.status()).isEqualTo(413);
        assertThat(chunked.json().get("error").asText()).contains("TOKENLEDGER_MAX_BODY_BYTES");
    }

    @Test
    void everyRouteButHealthzRefusesAMissingOrWrongKeyWith401() {
        ApiClient anonymous = client.withKey(null);
        ApiClient wrong = client.withKey("wrong-" + KEY);
        for (String path : List.of("/v1/reports/model", "/readyz", "/metrics", "/openapi.json")) {
            assertThat(anonymous.get(path).status()).as(path).isEqualTo(401);
            assertThat(wrong.get(path).status()).as(path).isEqualTo(401);
        }
        ApiClient.Reply refused = anonymous.post("/v1/usage", UsageJson.event(workspace()));
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(wrong.post("/v1/usage", UsageJson.event(workspace())).status()).isEqualTo(401);

        assertThat(anonymous.get("/healthz").status()).isEqualTo(200);
        assertThat(client.withKey(OTHER_KEY).get("/readyz").status()).as("any configured key").isIn(200, 503);
        ApiClient.Reply viaHeader = anonymous.send(anonymous.request("/v1/reports/day").header("X-Api-Key", KEY).GET());
        assertThat(viaHeader.status()).isEqualTo(200);
    }

    @Test
    void reportParametersThatMakeNoSenseAreAnswered400NamingTheParameter() {
        assertThat(parameter(client.get("/v1/reports/modle"))).isEqualTo("by");
        assertThat(parameter(client.get("/v1/reports/model?from=last-week"))).isEqualTo("from");
        assertThat(parameter(client.get("/v1/reports/model?to=2026-02-30"))).isEqualTo("to");
        assertThat(parameter(client.get("/v1/reports/model?from=2026-03-02&to=2026-03-01"))).isEqualTo("from");
        assertThat(parameter(client.get("/v1/reports/model?to=2999-01-01"))).isEqualTo("to");
        assertThat(parameter(client.get("/v1/reports/model?from=0001-01-01"))).isEqualTo("from");
        assertThat(parameter(client.get("/v1/reports/model?limit=0"))).isEqualTo("limit");
        assertThat(parameter(client.get("/v1/reports/model?limit=ten"))).isEqualTo("limit");
        assertThat(parameter(client.get("/v1/reports/model?workspace_id=acme"))).isEqualTo("workspace_id");
        assertThat(parameter(client.get("/v1/reports/model?as_written=yes"))).isEqualTo("as_written");
        assertThat(client.get("/v1/reports/session?from=2026-01-01&to=2026-01-31&limit=5").json().get("source").asText())
                .isEqualTo("llm_usage");
    }

    @Test
    void readyzTurnsDownWhileClickHouseIsUnavailableAndUpWhenItReturns() {
        JsonNode up = await(() -> client.get("/readyz").json(), h -> h.get("status").asText().equals("UP"));
        assertThat(up.get("checks")).extracting(c -> c.get("name").asText()).containsExactly("postgres", "clickhouse",
                "jobrunr_server", "sealer", "failed_usage_writes", "dead_letters", "oldest_unwritten_event", "price_book_age");

        clickHouse.down();
        try {
            ApiClient.Reply down = client.get("/readyz");
            assertThat(down.status()).isEqualTo(503);
            assertThat(down.json().get("status").asText()).isIn("DEGRADED", "DOWN");
            assertThat(check(down.json(), "clickhouse").get("status").asText()).isEqualTo("DOWN");
            assertThat(check(down.json(), "postgres").get("status").asText()).isEqualTo("UP");

            ApiClient.Reply report = client.get("/v1/reports/model");
            assertThat(report.status()).as("ClickHouse's outage is no client error").isEqualTo(503);
            assertThat(report.headers().firstValue("Retry-After")).isPresent();
            assertThat(client.post("/v1/usage", UsageJson.event(workspace())).status())
                    .as("recording needs only PostgreSQL").isEqualTo(202);
        } finally {
            clickHouse.up();
        }
        ApiClient.Reply back = await(() -> client.get("/readyz"), r -> r.status() == 200);
        assertThat(back.json().get("status").asText()).isEqualTo("UP");
    }

    @Test
    void metricsShowEventsByPathAndOutcomeWritesBacklogJobsAndPricing() {
        String ws = workspace();
        client.post("/v1/usage", UsageJson.array(UsageJson.event(ws), UsageJson.event(ws).put("model", "")));
        ledger.recorder().record(TestEvents.event().workspaceId(ws).build());
        // The written counter moves once the batch is marked written, just after ClickHouse has the rows,
        // and JobRunr records the job SUCCEEDED just after that.
        ApiClient.Reply reply = await(() -> client.get("/metrics"),
                r -> value(r.body(), "tokenledger_events_written_total") >= 2
                        && value(r.body(), "tokenledger_jobrunr_jobs{state=\"succeeded\"}") >= 1);
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        String metrics = reply.body();
        assertThat(value(metrics, "tokenledger_events_total{outcome=\"accepted\",path=\"http\"}")).isGreaterThanOrEqualTo(1);
        assertThat(value(metrics, "tokenledger_events_total{outcome=\"rejected\",path=\"http\"}")).isGreaterThanOrEqualTo(1);
        assertThat(value(metrics, "tokenledger_events_total{outcome=\"accepted\",path=\"java\"}")).isGreaterThanOrEqualTo(1);
        assertThat(value(metrics, "tokenledger_usage_write_batch_events_count")).isGreaterThanOrEqualTo(1);
        assertThat(value(metrics, "tokenledger_usage_write_seconds_count")).isGreaterThanOrEqualTo(1);
        assertThat(metrics).contains("tokenledger_usage_write_failures_total", "tokenledger_backlog_events ",
                "tokenledger_backlog_batches ", "tokenledger_backlog_oldest_seconds ",
                "tokenledger_jobrunr_jobs{state=\"failed\"}", "tokenledger_jobrunr_jobs{state=\"enqueued\"}",
                "tokenledger_pricing_refresh_runs{outcome=\"applied\"}",
                "tokenledger_pricing_refresh_last_success_age_seconds", "tokenledger_pricing_models",
                "tokenledger_dead_letters_unresolved ", "tokenledger_late_duplicates_total ",
                "tokenledger_http_requests_seconds_count{method=\"POST\",route=\"/v1/usage\"", "jvm_memory_used_bytes");
        assertThat(value(metrics, "tokenledger_pricing_refresh_runs{outcome=\"applied\"}")).isEqualTo(1);
        assertThat(value(metrics, "tokenledger_late_duplicates_total")).isZero();
    }

    @Test
    void secretsNeverAppearInMetricsReadinessOrLogs() {
        client.post("/v1/usage", UsageJson.event(workspace()));
        client.withKey("wrong-" + KEY).get("/readyz");
        client.withKey(null).post("/v1/usage", "{");
        String exposed = client.get("/metrics").body() + client.get("/readyz").body() + client.get("/openapi.json").body()
                + ledger.config();
        List<String> secrets = List.of(KEY, OTHER_KEY, DASHBOARD_PASSWORD, PG_PASSWORD);

        assertThat(logs.text()).as("the log").contains("HTTP API on").doesNotContain(secrets);
        assertThat(exposed).doesNotContain(secrets);
    }

    @Test
    void jobRunrsDashboardRefusesWithoutThePasswordAndServesWithIt() {
        URI dashboard = URI.create("http://localhost:" + ledger.config().dashboard().port() + "/api/jobs?state=SUCCEEDED");
        ApiClient anonymous = new ApiClient(dashboard, null);
        String user = ledger.config().dashboard().user();
        String basic = Base64.getEncoder().encodeToString((user + ":" + DASHBOARD_PASSWORD).getBytes(StandardCharsets.UTF_8));
        String wrong = Base64.getEncoder().encodeToString((user + ":nope").getBytes(StandardCharsets.UTF_8));

        assertThat(anonymous.send(HttpRequest.newBuilder(dashboard).GET()).status()).isEqualTo(401);
        assertThat(anonymous.send(HttpRequest.newBuilder(dashboard).header("Authorization", "Basic " + wrong).GET())
                .status()).isEqualTo(401);
        ApiClient.Reply served = anonymous.send(HttpRequest.newBuilder(dashboard).header("Authorization", "Basic " + basic)
                .GET());
        assertThat(served.status()).isEqualTo(200);
        assertThat(served.json().has("items")).as(served.body()).isTrue();
    }

    @Test
    void withoutKeysTheApiStartsOnlyOnAMachineDeclaredLocalOnlyAndThenNeedsNoKey() {
        assertThatThrownBy(() -> HttpApi.requireCredentials(new LedgerConfig.Http(0, List.of(), MAX_BODY, false, 0), false))
                .isInstanceOf(ConfigException.class).hasMessageContaining("TOKENLEDGER_API_KEYS")
                .hasMessageContaining("TOKENLEDGER_LOCAL_ONLY");

        LedgerConfig localOnly = TestLedger.config(Map.of("TOKENLEDGER_LOCAL_ONLY", "true"));
        try (Ledger clientOnly = TestLedger.open(localOnly, Ledger.Mode.CLIENT, postgres, clickHouse);
             HttpApi open = HttpApi.start(clientOnly)) {
            ApiClient anonymous = new ApiClient(open.url(), null);
            assertThat(anonymous.get("/v1/reports/model").status()).isEqualTo(200);
            assertThat(anonymous.post("/v1/usage", UsageJson.event(workspace())).status()).isEqualTo(202);
        }
    }

    @Test
    void aRequestInFlightWhenTheApiStopsStillGetsItsAnswer() throws Exception {
        HttpApi second = HttpApi.start(ledger);
        ApiClient secondClient = new ApiClient(second.url(), KEY);
        clickHouse.holdQueries("SELECT 1 AS ok"); // what /readyz asks ClickHouse
        java.util.concurrent.CompletableFuture<ApiClient.Reply> inFlight;
        Thread closer;
        try {
            inFlight = java.util.concurrent.CompletableFuture.supplyAsync(() -> secondClient.get("/readyz"));
            clickHouse.awaitHeldQuery();
            closer = Thread.ofPlatform().start(second::close);
            await(() -> refused(secondClient), r -> r);
        } finally {
            clickHouse.releaseQueries();
        }
        assertThat(inFlight.get(30, java.util.concurrent.TimeUnit.SECONDS).status()).isEqualTo(200);
        closer.join(30_000);
        assertThat(closer.isAlive()).isFalse();
    }

    /** True once the API no longer accepts a new request. */
    private static boolean refused(ApiClient client) {
        try {
            client.get("/healthz");
            return false;
        } catch (java.io.UncheckedIOException e) {
            return true;
        }
    }

    @Test
    void anEventsCostIsExplainedAsExplainCostPrintsItAndReportsShowTheCorrectedOrTheWrittenTotals() throws Exception {
        String ws = workspace();
        String model = "private-" + ws;
        ObjectNode first = UsageJson.event(ws).put("model", model).put("provider", "acme");
        ObjectNode second = UsageJson.event(ws).put("model", model).put("provider", "acme").put("prompt_tokens", 5000)
                .put("cached_tokens", 0).put("completion_tokens", 700);
        assertThat(client.post("/v1/usage", UsageJson.array(first, second)).status()).isEqualTo(202);
        await(() -> client.get("/v1/reports/model?workspace=" + ws).json(), r -> r.get("total_events").asLong() == 2);
        String path = "/v1/usage/" + first.get("event_id").asText();
        JsonNode written = client.get(path).json();
        assertThat(written.at("/written/status").asText()).isEqualTo("unpriced");
        assertThat(written.get("adjustments")).isEmpty();
        assertThat(written.at("/current/cost").isNull()).isTrue();

        // A price for the private model from an hour ago: the service back-prices the written calls by itself.
        Map<String, BigDecimal> rates = Map.of("input_cost_per_token", new BigDecimal("0.000003"),
                "cache_read_input_token_cost", new BigDecimal("0.0000003"),
                "output_cost_per_token", new BigDecimal("0.000015"));
        ledger.pricing().setOverride(new OverrideRequest(model, null, Instant.now().minus(Duration.ofHours(1)), rates,
                "price agreed after the calls"));
        JsonNode explained = await(() -> client.get(path).json(), x -> x.get("adjustments").size() == 1);

        BigDecimal firstCost = new BigDecimal("0.003000000000").add(new BigDecimal("0.000060000000"))
                .add(new BigDecimal("0.004500000000")); // 1000 × 3e-6 + 200 × 3e-7 + 300 × 1.5e-5
        BigDecimal secondCost = new BigDecimal("0.015000000000").add(new BigDecimal("0.010500000000"));
        assertThat(explained.at("/current/status").asText()).isEqualTo("override");
        assertThat(explained.at("/current/cost/cost_usd").asText()).isEqualTo("0.007560000000")
                .isEqualTo(firstCost.toPlainString());
        assertThat(explained.at("/adjustments/0/requested_by").asText()).isEqualTo("back-pricing");
        assertThat(explained.at("/adjustments/0/reason").asText()).contains("override");
        assertThat(explained.at("/adjustments/0/unpriced_delta").asLong()).isEqualTo(-1);
        assertThat(explained.at("/written/cost").isNull()).as("the written row is never changed").isTrue();
        ObjectMapper cliJson = JsonConventions.mapper(); // what every --json prints with
        assertThat(explained).as("the JSON explain-cost --json prints").isEqualTo(ApiClient.JSON.readTree(
                cliJson.writeValueAsString(CostExplanationJson.of(ledger.repricer()
                        .explain(UUID.fromString(first.get("event_id").asText())).orElseThrow()))));

        JsonNode now = client.get("/v1/reports/model?workspace=" + ws).json();
        assertThat(now).as("the JSON report --format json prints").isEqualTo(ApiClient.JSON.readTree(
                cliJson.writeValueAsString(ReportJson.of(ledger.reports().run(new Reports.Query(Reports.By.MODEL,
                        LocalDate.parse(now.get("from").asText()), LocalDate.parse(now.get("to").asText()), ws, null,
                        null, now.get("limit").asInt()))))));
        assertThat(now.get("as_written").asBoolean()).isFalse();
        assertThat(now.at("/lines/0/unpriced_events").asLong()).isZero();
        assertThat(now.get("total_cost_usd").asText()).isEqualTo(firstCost.add(secondCost).toPlainString());
        JsonNode asWritten = client.get("/v1/reports/model?workspace=" + ws + "&as_written=true").json();
        assertThat(asWritten.get("as_written").asBoolean()).isTrue();
        assertThat(asWritten.at("/lines/0/unpriced_events").asLong()).isEqualTo(2);
        assertThat(asWritten.get("total_cost_usd").asText()).isEqualTo("0.000000000000");
        assertThat(client.get("/v1/reports/session?workspace=" + ws).json().get("total_cost_usd").asText())
                .as("from llm_usage plus its adjustments").isEqualTo(firstCost.add(secondCost).toPlainString());

        UUID unknown = UUID.randomUUID();
        assertThat(error(client.get("/v1/usage/" + unknown), 404)).contains("no event " + unknown + " in llm_usage");
        assertThat(parameter(client.get("/v1/usage/not-a-uuid"))).isEqualTo("event_id");
    }

    @Test
    void anUnknownRouteIsAnswered404InJson() {
        ApiClient.Reply reply = client.get("/v1/nothing-here");
        assertThat(reply.status()).isEqualTo(404);
        assertThat(reply.json().has("error")).isTrue();
    }

    private static String workspace() {
        return "ws-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static Map<String, String> errors(JsonNode result) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        result.get("errors").forEach(e -> out.put(e.get("field").asText(), e.get("problem").asText()));
        return out;
    }

    private static String error(ApiClient.Reply reply, int status) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(status);
        return reply.json().get("error").asText();
    }

    private static String parameter(ApiClient.Reply reply) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(400);
        return reply.json().get("parameter").asText();
    }

    private static JsonNode check(JsonNode health, String name) {
        for (JsonNode c : health.get("checks")) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no check named " + name + " in " + health);
    }

    /** The value of one series in Prometheus' text format. */
    static double value(String metrics, String series) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).strip());
            }
        }
        throw new AssertionError("no series " + series + " in the metrics");
    }

    /** Polls until {@code done} holds, failing after the deadline with the last value seen. */
    static <T> T await(Supplier<T> probe, java.util.function.Predicate<T> done) {
        java.util.concurrent.atomic.AtomicReference<T> last = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            return org.awaitility.Awaitility.await().atMost(DEADLINE).dontCatchUncaughtExceptions()
                    .pollInSameThread().pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(50)).until(() -> {
                        last.set(probe.get());
                        return last.get();
                    }, done::test);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("timed out after " + DEADLINE + "; last seen: " + last.get(), e);
        }
    }
}
