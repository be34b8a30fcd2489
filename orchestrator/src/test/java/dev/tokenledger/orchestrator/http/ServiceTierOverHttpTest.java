package dev.tokenledger.orchestrator.http;

import static dev.tokenledger.orchestrator.http.HttpApiTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every service tier name a provider's response carries is accepted over HTTP, recorded as sent and priced at its
 * tier (bundled LiteLLM 2026-07-24 book); a name nobody documents is recorded, priced at the standard rates and
 * flagged; reports, {@code /v1/reports/pricing} and {@code /metrics} count the flags and the unpriced reasons.
 */
class ServiceTierOverHttpTest {
    private static final String KEY = "tier-key-" + UUID.randomUUID();
    private static RunningApi running;
    private static ApiClient client;

    @BeforeAll
    static void start() {
        running = RunningApi.start("service_tiers", KEY, Map.of());
        client = running.client;
    }

    @AfterAll
    static void stop() {
        if (running != null) {
            running.close();
        }
    }

    /** gpt-5, 1,200 prompt tokens of which 200 cached, 300 completion tokens, at the tier's three rates. */
    private static BigDecimal gpt5(String input, String cacheRead, String output) {
        return new BigDecimal(input).multiply(BigDecimal.valueOf(1_000))
                .add(new BigDecimal(cacheRead).multiply(BigDecimal.valueOf(200)))
                .add(new BigDecimal(output).multiply(BigDecimal.valueOf(300))).setScale(12);
    }

    @Test
    void everyDocumentedTierNameIsAcceptedRecordedAsSentAndPricedAtItsTierAndAnUnknownOneIsFlagged() {
        String ws = "ws-" + UUID.randomUUID().toString().substring(0, 8);
        BigDecimal standard = gpt5("1.25e-06", "1.25e-07", "1e-05");
        BigDecimal priority = gpt5("2.5e-06", "2.5e-07", "2e-05");
        BigDecimal flex = gpt5("6.25e-07", "6.25e-08", "5e-06");
        Map<String, BigDecimal> expected = new LinkedHashMap<>();
        for (String name : new String[] {"default", "auto", "scale", "standard", "Default"}) {
            expected.put(name, standard);
        }
        expected.put("priority", priority);
        expected.put("fast", priority);
        expected.put("flex", flex);
        expected.put("batch", standard); // gpt-5 lists no _batches rates: standard, flagged
        expected.put("ultrafast", standard); // no provider documents it: standard, flagged
        Map<String, String> ids = new LinkedHashMap<>();
        ArrayNode body = ApiClient.JSON.createArrayNode();
        for (String name : expected.keySet()) {
            ObjectNode e = call(ws).put("service_tier", name);
            ids.put(name, e.get("event_id").asText());
            body.add(e);
        }
        ObjectNode untiered = call(ws);
        ObjectNode unknownModel = call(ws).put("model", "acme-llm-" + ws);
        body.add(untiered).add(unknownModel);

        ApiClient.Reply reply = client.post("/v1/usage", body);
        assertThat(reply.status()).as(reply.body()).isEqualTo(202);
        assertThat(reply.json().get("accepted").asInt()).isEqualTo(expected.size() + 2);
        await(() -> client.get("/v1/reports/model?workspace=" + ws).json(),
                r -> r.get("total_events").asLong() == expected.size() + 2);

        for (Map.Entry<String, BigDecimal> e : expected.entrySet()) {
            JsonNode x = client.get("/v1/usage/" + ids.get(e.getKey())).json();
            assertThat(x.at("/event/service_tier").asText()).as("recorded as sent").isEqualTo(e.getKey());
            assertThat(x.at("/current/cost/cost_usd").asText()).as(e.getKey()).isEqualTo(e.getValue().toPlainString());
            assertThat(x.at("/written/pricing_match").asText()).isEqualTo("exact");
        }
        assertThat(flags(ids.get("ultrafast"))).containsExactly("unknown_service_tier");
        assertThat(flags(ids.get("batch"))).containsExactly("service_tier_not_priced");
        assertThat(flags(ids.get("fast"))).isEmpty();
        JsonNode none = client.get("/v1/usage/" + untiered.get("event_id").asText()).json();
        assertThat(none.at("/event/service_tier").asText()).isEqualTo("standard");
        assertThat(none.at("/current/cost/cost_usd").asText()).isEqualTo(standard.toPlainString());
        JsonNode unpriced = client.get("/v1/usage/" + unknownModel.get("event_id").asText()).json();
        assertThat(unpriced.at("/written/unpriced_reason").asText()).isEqualTo("unknown_model");
        assertThat(unpriced.at("/written/cost").isNull()).isTrue();

        JsonNode quality = client.get("/v1/reports/pricing?workspace=" + ws).json();
        assertThat(quality.get("events").asLong()).isEqualTo(expected.size() + 2);
        assertThat(quality.get("unpriced_events").asLong()).isEqualTo(1);
        assertThat(quality.at("/unpriced_by_reason/unknown_model").asLong()).isEqualTo(1);
        assertThat(quality.get("flagged_events").asLong()).isEqualTo(2);
        assertThat(quality.at("/flagged_by_flag/unknown_service_tier").asLong()).isEqualTo(1);
        assertThat(quality.at("/flagged_by_flag/service_tier_not_priced").asLong()).isEqualTo(1);
        assertThat(client.get("/v1/reports/pricing?by=model").status()).as("unknown parameter").isEqualTo(400);

        String metrics = client.get("/metrics").body();
        assertThat(HttpApiTest.value(metrics, "tokenledger_usage_unpriced_events{reason=\"unknown_model\"}"))
                .isEqualTo(1.0);
        assertThat(HttpApiTest.value(metrics, "tokenledger_usage_flagged_events{flag=\"unknown_service_tier\"}"))
                .isEqualTo(1.0);
        assertThat(HttpApiTest.value(metrics, "tokenledger_usage_events")).isEqualTo(expected.size() + 2.0);
        assertThat(HttpApiTest.value(metrics, "tokenledger_usage_unpriced_share"))
                .isEqualTo(1.0 / (expected.size() + 2));
    }

    private static java.util.List<String> flags(String eventId) {
        java.util.List<String> out = new java.util.ArrayList<>();
        client.get("/v1/usage/" + eventId).json().at("/current/pricing_flags").forEach(f -> out.add(f.asText()));
        return out;
    }

    /** A gpt-5 call now, in {@code workspace}. */
    private static ObjectNode call(String workspace) {
        return UsageJson.event(workspace).put("model", "gpt-5")
                .put("event_time", Instant.now().truncatedTo(ChronoUnit.MILLIS).toString());
    }
}
