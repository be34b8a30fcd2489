package dev.tokenledger.orchestrator.http;

import dev.tokenledger.usage.Reports;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenledger.pricing.OverrideRequest;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code openapi.json} cannot drift from the API: every route Javalin serves is described and every
 * described operation is served, the request examples get the status they claim from the real endpoint,
 * and the response examples have exactly the fields of real responses.
 */
class OpenApiTest {
    private static final String KEY = "openapi-key-" + UUID.randomUUID();
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options", "trace");

    private static RunningApi running;
    private static ApiClient client;
    private static JsonNode doc;

    @BeforeAll
    static void start() throws IOException {
        running = RunningApi.start("openapi", KEY, Map.of());
        client = running.client;
        try (InputStream in = OpenApiTest.class.getResourceAsStream("/openapi.json")) {
            doc = ApiClient.JSON.readTree(in);
        }
    }

    @AfterAll
    static void stop() {
        if (running != null) {
            running.close();
        }
    }

    @Test
    void everyRouteServedIsDescribedAndEveryDescribedOperationIsServed() {
        Set<String> served = new TreeSet<>();
        running.api.routes().forEach(r -> served.add(r.method() + " " + r.path()));
        Set<String> described = new TreeSet<>();
        doc.get("paths").properties().forEach(path -> path.getValue().properties().forEach(op -> {
            if (METHODS.contains(op.getKey())) {
                described.add(op.getKey().toUpperCase() + " " + path.getKey());
            }
        }));

        assertThat(described).isEqualTo(served);
    }

    @Test
    void theServedDescriptionIsTheResourceAndSaysOpenApi31() {
        assertThat(doc.get("openapi").asText()).startsWith("3.1.");
        assertThat(client.get("/openapi.json").json()).isEqualTo(doc);
    }

    @Test
    void everyOperationThatNeedsAKeyDocuments401AndEveryOtherOneIsOpen() {
        doc.get("paths").properties().forEach(path -> path.getValue().properties().forEach(op -> {
            JsonNode security = op.getValue().get("security");
            boolean open = security != null && security.isEmpty();
            assertThat(op.getValue().get("responses").has("401")).as(op.getKey() + " " + path.getKey()).isEqualTo(!open);
            assertThat(open).as(op.getKey() + " " + path.getKey()).isEqualTo(path.getKey().equals("/healthz"));
        }));
    }

    @Test
    void everyRequestExampleGetsTheStatusItClaimsFromTheRealEndpoint() {
        JsonNode examples = doc.at("/paths/~1v1~1usage/post/requestBody/content/application~1json/examples");
        JsonNode responses = doc.at("/paths/~1v1~1usage/post/responses");
        assertThat(examples.size()).isGreaterThanOrEqualTo(3);
        examples.properties().forEach(e -> {
            int expected = e.getValue().get("x-expect-status").asInt();
            ApiClient.Reply reply = client.post("/v1/usage", recent(e.getValue().get("value")));

            assertThat(reply.status()).as("example '%s': %s", e.getKey(), reply.body()).isEqualTo(expected);
            assertThat(responses.has(Integer.toString(reply.status()))).as("status documented").isTrue();
        });
    }

    @Test
    void usageResponseExamplesHaveTheFieldsOfRealResponses() {
        JsonNode examples = doc.at("/paths/~1v1~1usage/post/requestBody/content/application~1json/examples");
        JsonNode responses = doc.at("/paths/~1v1~1usage/post/responses");
        assertThat(shape(example(responses, "202")))
                .isEqualTo(shape(client.post("/v1/usage", recent(examples.at("/batch/value"))).json()));
        assertThat(shape(example(responses, "207")))
                .isEqualTo(shape(client.post("/v1/usage", recent(examples.at("/partly_rejected/value"))).json()));
        assertThat(shape(example(responses, "400"))).isEqualTo(shape(client.post("/v1/usage", "{").json()));
        assertThat(shape(example(responses, "413"))).isEqualTo(shape(ApiClient.JSON.valueToTree(ApiError.of("x"))));
    }

    @Test
    void reportAndReadinessExamplesHaveTheFieldsOfRealResponses() {
        client.post("/v1/usage", recent(doc.at(
                "/paths/~1v1~1usage/post/requestBody/content/application~1json/examples/batch/value")));
        JsonNode report = HttpApiTest.await(() -> client.get("/v1/reports/model").json(),
                r -> r.get("lines").size() > 0);
        JsonNode reportOp = doc.at("/paths/~1v1~1reports~1{by}/get");
        assertThat(shape(example(reportOp.get("responses"), "200"))).isEqualTo(shape(report));
        assertThat(shape(example(reportOp.get("responses"), "400")))
                .isEqualTo(shape(client.get("/v1/reports/model?limit=0").json()));

        JsonNode byValues = reportOp.at("/parameters/0/schema/enum");
        assertThat(byValues).extracting(JsonNode::asText)
                .containsExactlyElementsOf(Arrays.stream(Reports.By.values()).map(Reports.By::label).toList());

        JsonNode ready = HttpApiTest.await(() -> client.get("/readyz").json(), h -> h.get("status").asText().equals("UP"));
        JsonNode readyOp = doc.at("/paths/~1readyz/get/responses");
        assertThat(shape(example(readyOp, "200"))).isEqualTo(shape(ready));
        assertThat(doc.at("/components/schemas/Check/properties/name/enum")).extracting(JsonNode::asText)
                .containsExactlyElementsOf(ready.get("checks").findValuesAsText("name"));
        assertThat(shape(example(doc.at("/paths/~1healthz/get/responses"), "200")))
                .isEqualTo(shape(client.get("/healthz").json()));
    }

    @Test
    void explainCostExamplesHaveTheFieldsOfRealResponses() {
        JsonNode batch = doc.at("/paths/~1v1~1usage/post/requestBody/content/application~1json/examples/batch/value");
        client.post("/v1/usage", recent(batch));
        String path = "/v1/usage/" + batch.get(0).get("event_id").asText();
        HttpApiTest.await(() -> client.get(path), r -> r.status() == 200);
        // The example's correction: a negotiated gpt-4o price from before the call, back-priced by the service.
        running.ledger.pricing().setOverride(new OverrideRequest("gpt-4o", null, Instant.now().minus(Duration.ofDays(1)),
                Map.of("input_cost_per_token", new BigDecimal("0.0000021"), "cache_read_input_token_cost",
                        new BigDecimal("0.00000105"), "output_cost_per_token", new BigDecimal("0.0000087")),
                "contract"));
        JsonNode explained = HttpApiTest.await(() -> client.get(path).json(), x -> x.get("adjustments").size() > 0);

        JsonNode op = doc.at("/paths/~1v1~1usage~1{event_id}/get/responses");
        JsonNode example = example(op, "200");
        assertThat(shape(example)).isEqualTo(shape(explained));
        assertThat(explained.at("/current/cost")).as("the example's numbers are the real ones")
                .isEqualTo(example.at("/current/cost"));
        assertThat(explained.at("/adjustments/0/deltas")).isEqualTo(example.at("/adjustments/0/deltas"));
        assertThat(shape(example(op, "400"))).isEqualTo(shape(client.get("/v1/usage/not-a-uuid").json()));
        assertThat(shape(example(op, "404"))).isEqualTo(shape(client.get("/v1/usage/" + UUID.randomUUID()).json()));
    }

    @Test
    void theMetricsDescriptionNamesSeriesTheServiceExposes() {
        String description = doc.at("/paths/~1metrics/get/description").asText();
        String metrics = client.get("/metrics").body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("`(tokenledger_[a-z_]+)").matcher(description);
        int named = 0;
        while (m.find()) {
            named++;
            assertThat(metrics).as(m.group(1)).containsPattern("(?m)^" + m.group(1) + "(_count|_sum|_max)?[{ ]");
        }
        assertThat(named).isGreaterThanOrEqualTo(10);
    }

    /** The example with its event times moved to a minute ago, so it never ages out of the retention. */
    private static JsonNode recent(JsonNode example) {
        JsonNode copy = example.deepCopy();
        String now = Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.MILLIS).toString();
        (copy.isArray() ? copy : ApiClient.JSON.createArrayNode().add(copy)).forEach(e -> {
            if (e.isObject() && e.has("event_time") && e.get("event_time").asText().matches("\\d{4}-.*Z")) {
                ((ObjectNode) e).put("event_time", now);
            }
        });
        return copy;
    }

    private static JsonNode example(JsonNode responses, String status) {
        JsonNode content = responses.get(status).get("content");
        return content.elements().next().get("example");
    }

    /** Every field path of a JSON value ({@code results[].errors[].field}), ignoring values and array sizes. */
    static Set<String> shape(JsonNode node) {
        Set<String> paths = new TreeSet<>();
        shape(node, "", paths);
        return paths;
    }

    private static void shape(JsonNode node, String at, Set<String> paths) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                String path = at.isEmpty() ? f.getKey() : at + "." + f.getKey();
                paths.add(path);
                shape(f.getValue(), path, paths);
            }
        } else if (node.isArray()) {
            node.forEach(e -> shape(e, at + "[]", paths));
        }
    }
}
