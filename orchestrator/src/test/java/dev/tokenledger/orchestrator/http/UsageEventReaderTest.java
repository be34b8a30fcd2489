package dev.tokenledger.orchestrator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenledger.usage.FieldError;
import dev.tokenledger.usage.UsageEvent;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** One JSON element into a usage event, or precise errors naming each field at fault. */
class UsageEventReaderTest {

    @Test
    void everyFieldOfTheApiLandsInTheSameNamedFieldOfTheEvent() throws Exception {
        UUID id = UUID.randomUUID();
        UUID conversation = UUID.randomUUID();
        JsonNode json = ApiJson.MAPPER.readTree("""
                {"event_id": "%s", "event_time": "2026-03-01T12:00:00.123456+01:00", "user_id": "u", "workspace_id": "w",
                 "conversation_id": "%s", "message_id": "m", "agent_id": "a", "agent_db_id": "42", "model": "gpt-4o",
                 "provider": "openai", "prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1510,
                 "tool_use_prompt_tokens": 10, "thoughts_tokens": 100, "cached_tokens": 200, "cache_creation_tokens": 50,
                 "cache_creation_1h_tokens": 25, "audio_prompt_tokens": 5, "audio_completion_tokens": 7,
                 "call_sequence": 3, "turn_id": "t", "session_id": "s", "service_tier": "priority",
                 "image_prompt_tokens": 40, "image_completion_tokens": 30, "web_search_requests": 2, "input_images": 1,
                 "output_images": 4, "input_audio_seconds": 1.5, "input_video_seconds": "2.25",
                 "output_audio_seconds": 0.001, "output_video_seconds": "8", "inference_geo": "eu"}
                """.formatted(id, conversation));

        UsageEventReader.Read read = UsageEventReader.read(json);

        assertThat(read.errors()).isEmpty();
        assertThat(read.event()).isEqualTo(new UsageEvent(id, Instant.parse("2026-03-01T11:00:00.123Z"), "u", "w",
                conversation, "m", "a", "42", "gpt-4o", "openai", 1000, 500, 1510, 10, 100, 200, 50, 25, 5, 7, 3, "t", "s",
                "priority", 40, 30, 2, 1, 4, new BigDecimal("1.500"), new BigDecimal("2.250"), new BigDecimal("0.001"),
                new BigDecimal("8.000"), "eu"));
        assertThat(json.size()).as("the test covers every field").isEqualTo(UsageEventReader.FIELDS.size());
    }

    @Test
    void optionalFieldsMayBeLeftOutOrNullAndTotalTokensIsThenTheSum() {
        ObjectNode json = UsageJson.event("w");
        json.putNull("agent_id");
        json.putNull("total_tokens");

        UsageEvent event = UsageEventReader.read(json).event();

        assertThat(event.agentId()).isEmpty();
        assertThat(event.serviceTier()).isEqualTo("standard");
        assertThat(event.totalTokens()).isEqualTo(1500);
    }

    @Test
    void eachWrongTypeOrFormatIsReportedAgainstItsOwnField() {
        ObjectNode json = UsageJson.event("w")
                .put("event_id", "1234")
                .put("event_time", "2026-03-01 12:00:00")
                .put("conversation_id", 42)
                .put("completion_tokens", 1.5)
                .put("cached_tokens", "200")
                .put("call_sequence", 3_000_000_000L)
                .put("model", true);
        json.putObject("user_id");
        json.put("audio_prompt_tokens", new java.math.BigInteger("100000000000000000000"));

        UsageEventReader.Read read = UsageEventReader.read(json);

        assertThat(read.event()).isNull();
        assertThat(read.eventId()).isNull();
        assertThat(errors(read)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "event_id", "must be a UUID (8-4-4-4-12 hex digits), got '1234'",
                "event_time", "must be an ISO-8601 instant with an offset, such as 2026-03-01T12:00:00.250Z, got '2026-03-01 12:00:00'",
                "conversation_id", "must be a string, got a number",
                "completion_tokens", "must be a whole number, got 1.5",
                "cached_tokens", "must be a whole number, got a string",
                "call_sequence", "must be at most 2147483647, got 3000000000",
                "model", "must be a string, got a boolean",
                "user_id", "must be a string, got an object",
                "audio_prompt_tokens", "is too large, got 100000000000000000000"));
    }

    @Test
    void anUnknownFieldIsAnErrorNotSilentlyDropped() {
        UsageEventReader.Read read = UsageEventReader.read(UsageJson.event("w").put("promt_tokens", 5));

        assertThat(errors(read)).containsExactly(Map.entry("promt_tokens", "is not a field of a usage event"));
        assertThat(read.eventId()).as("a readable id is reported even when the event is rejected").isNotNull();
    }

    @Test
    void missingRequiredFieldsAreEachNamed() {
        UsageEventReader.Read read = UsageEventReader.read(ApiJson.MAPPER.createObjectNode());

        assertThat(errors(read)).containsOnlyKeys("event_id", "event_time", "user_id", "workspace_id", "model",
                "prompt_tokens", "completion_tokens");
    }

    @Test
    void theEventsOwnRulesApplyOnceTheTypesAreRight() {
        UsageEventReader.Read bounds = UsageEventReader.read(UsageJson.event("w").put("service_tier", "x".repeat(257))
                .put("completion_tokens", -1));
        UsageEventReader.Read sum = UsageEventReader.read(UsageJson.event("w").put("total_tokens", 7));

        assertThat(errors(bounds)).containsOnlyKeys("service_tier", "completion_tokens");
        assertThat(errors(bounds).get("completion_tokens")).isEqualTo("must not be negative, got -1");
        assertThat(errors(sum)).containsExactly(Map.entry("total_tokens",
                "must equal prompt + completion + tool_use_prompt tokens (1500), got 7"));
    }

    @Test
    void aCountThatCouldNotBeReadDoesNotAlsoProduceAMisleadingSumError() {
        UsageEventReader.Read read = UsageEventReader.read(UsageJson.event("w").put("total_tokens", 1500)
                .put("prompt_tokens", "1200"));

        assertThat(errors(read)).containsOnlyKeys("prompt_tokens");
    }

    @Test
    void anElementThatIsNotAnObjectIsRejectedAsAWhole() {
        UsageEventReader.Read read = UsageEventReader.read(ApiJson.MAPPER.getNodeFactory().textNode("event"));

        assertThat(read.errors()).containsExactly(new FieldError("$", "must be a JSON object, got a string"));
    }

    private static Map<String, String> errors(UsageEventReader.Read read) {
        Map<String, String> out = new LinkedHashMap<>();
        read.errors().forEach(e -> out.put(e.field(), e.problem()));
        return out;
    }
}
