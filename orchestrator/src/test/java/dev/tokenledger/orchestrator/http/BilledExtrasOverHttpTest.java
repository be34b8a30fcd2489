package dev.tokenledger.orchestrator.http;

import static dev.tokenledger.orchestrator.http.HttpApiTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a call is billed for besides its text tokens, over HTTP on the bundled LiteLLM 2026-07-24 book: web searches,
 * image tokens, images, seconds of audio and video (a number or a decimal string) and the region a call ran in are
 * accepted, priced from the feed's numbers (computed here), shown by {@code GET /v1/usage/{id}} and counted in reports;
 * a count with no rate makes the call unpriced with its reason; a bad value is refused by field, next to good events.
 */
class BilledExtrasOverHttpTest {
    private static final String KEY = "extras-key-" + UUID.randomUUID();
    private static RunningApi running;
    private static ApiClient client;

    @BeforeAll
    static void start() {
        running = RunningApi.start("billed_extras", KEY, Map.of());
        client = running.client;
    }

    @AfterAll
    static void stop() {
        if (running != null) {
            running.close();
        }
    }

    @Test
    void webSearchesImagesSecondsAndRegionsAreAcceptedOverHttpPricedFromTheFeedAndCountedInReports() {
        String ws = "ws-" + UUID.randomUUID().toString().substring(0, 8);
        ObjectNode search = call(ws).put("model", "claude-sonnet-4-5").put("provider", "anthropic")
                .put("web_search_requests", 3);
        ObjectNode embedding = call(ws).put("model", "gemini-embedding-2").put("prompt_tokens", 300)
                .put("cached_tokens", 0).put("completion_tokens", 0).put("input_images", 3)
                .put("input_audio_seconds", "12.5").put("input_video_seconds", new BigDecimal("4.25"));
        ObjectNode eu = call(ws).put("model", "gpt-5.4").put("inference_geo", "eu").put("image_prompt_tokens", 500);
        ObjectNode noSearchPrice = call(ws).put("web_search_requests", 1);
        ObjectNode bad = call(ws).put("input_audio_seconds", 1.0005).put("web_search_requests", -2);
        ApiClient.Reply reply = client.post("/v1/usage", ApiClient.JSON.createArrayNode()
                .add(search).add(embedding).add(eu).add(noSearchPrice).add(bad));

        assertThat(reply.status()).as(reply.body()).isEqualTo(207);
        assertThat(reply.json().get("accepted").asInt()).isEqualTo(4);
        assertThat(reply.json().at("/results/4/errors").findValuesAsText("field"))
                .containsExactlyInAnyOrder("input_audio_seconds", "web_search_requests");
        await(() -> client.get("/v1/reports/model?workspace=" + ws).json(), r -> r.get("total_events").asLong() == 4);

        // claude-sonnet-4-5: input 3e-06, cache read 3e-07, output 1.5e-05, search_context_cost_per_query 0.01.
        JsonNode s = explain(search);
        assertThat(s.at("/event/web_search_requests").asLong()).isEqualTo(3);
        assertThat(s.at("/current/cost/web_search_cost").asText()).isEqualTo("0.030000000000");
        assertThat(new BigDecimal(s.at("/current/cost/cost_usd").asText())).isEqualByComparingTo(
                new BigDecimal("3e-06").multiply(BigDecimal.valueOf(1_000)).add(new BigDecimal("3e-07").multiply(
                        BigDecimal.valueOf(200))).add(new BigDecimal("1.5e-05").multiply(BigDecimal.valueOf(300)))
                        .add(new BigDecimal("0.03")));
        // gemini-embedding-2: input 2e-07, 0.00012 an image, 0.00016 a second of audio, 0.00079 of video.
        JsonNode m = explain(embedding);
        assertThat(new BigDecimal(m.at("/event/input_audio_seconds").asText())).isEqualByComparingTo("12.5");
        assertThat(new BigDecimal(m.at("/current/cost/seconds_cost").asText())).isEqualByComparingTo(
                new BigDecimal("12.5").multiply(new BigDecimal("0.00016"))
                        .add(new BigDecimal("4.25").multiply(new BigDecimal("0.00079"))));
        assertThat(new BigDecimal(m.at("/current/cost/image_cost").asText())).isEqualByComparingTo("0.00036");
        // gpt-5.4 in the EU: every token rate times regional_processing_uplift_multiplier_eu (1.1).
        JsonNode r = explain(eu);
        assertThat(flags(eu.get("event_id").asText())).containsExactly("regional_uplift");
        assertThat(new BigDecimal(r.at("/current/cost/cost_usd").asText())).isEqualByComparingTo(
                new BigDecimal("2.5e-06").multiply(BigDecimal.valueOf(1_000)).add(new BigDecimal("2.5e-07")
                        .multiply(BigDecimal.valueOf(200))).add(new BigDecimal("1.5e-05")
                        .multiply(BigDecimal.valueOf(300))).multiply(new BigDecimal("1.1")));
        JsonNode u = explain(noSearchPrice);
        assertThat(u.at("/written/unpriced_reason").asText()).isEqualTo("no_web_search_rate");

        JsonNode report = client.get("/v1/reports/model?workspace=" + ws).json();
        long searches = 0;
        long images = 0;
        long imageTokens = 0;
        for (JsonNode line : report.get("lines")) {
            searches += line.get("web_search_requests").asLong();
            images += line.get("images").asLong();
            imageTokens += line.get("image_tokens").asLong();
        }
        assertThat(searches).isEqualTo(4);
        assertThat(images).isEqualTo(3);
        assertThat(imageTokens).isEqualTo(500);
        JsonNode quality = client.get("/v1/reports/pricing?workspace=" + ws).json();
        assertThat(quality.at("/unpriced_by_reason/no_web_search_rate").asLong()).isEqualTo(1);
        assertThat(quality.at("/flagged_by_flag/regional_uplift").asLong()).isEqualTo(1);
    }

    private static JsonNode explain(ObjectNode event) {
        return client.get("/v1/usage/" + event.get("event_id").asText()).json();
    }

    private static List<String> flags(String eventId) {
        List<String> out = new ArrayList<>();
        client.get("/v1/usage/" + eventId).json().at("/current/pricing_flags").forEach(f -> out.add(f.asText()));
        return out;
    }

    /** A gpt-5 call now (1,200 prompt tokens, 200 cached, 300 completion), in {@code workspace}. */
    private static ObjectNode call(String workspace) {
        return UsageJson.event(workspace).put("model", "gpt-5")
                .put("event_time", Instant.now().truncatedTo(ChronoUnit.MILLIS).toString());
    }
}
