package dev.tokenledger.orchestrator.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenledger.usage.FieldError;
import dev.tokenledger.usage.InvalidUsageEventException;
import dev.tokenledger.usage.UsageEvent;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * One element of a {@code POST /v1/usage} body into a {@link UsageEvent}, field by field: the JSON names
 * are the column names, every type or format problem is reported against its field, an unknown field is
 * an error (a misspelt {@code promt_tokens} must not be silently dropped), and then the event's own
 * validation adds whatever else is wrong.
 */
final class UsageEventReader {
    /** Reported for the event as a whole, such as an element that is not an object. */
    static final String WHOLE_EVENT = "$";

    static final Set<String> FIELDS = Set.of("event_id", "event_time", "user_id", "workspace_id", "conversation_id",
            "message_id", "agent_id", "agent_db_id", "model", "provider", "prompt_tokens", "completion_tokens",
            "total_tokens", "tool_use_prompt_tokens", "thoughts_tokens", "cached_tokens", "cache_creation_tokens",
            "cache_creation_1h_tokens", "audio_prompt_tokens", "audio_completion_tokens", "call_sequence", "turn_id",
            "session_id", "service_tier", "image_prompt_tokens", "image_completion_tokens", "web_search_requests",
            "input_images", "output_images", "input_audio_seconds", "input_video_seconds", "output_audio_seconds",
            "output_video_seconds", "inference_geo");
    private static final Set<String> SUMMED = Set.of("prompt_tokens", "completion_tokens", "total_tokens");
    private static final Set<String> REQUIRED_COUNTS = Set.of("prompt_tokens", "completion_tokens");

    /** An event, or why there is none. {@code eventId} is known whenever the element carried a readable one. */
    record Read(UsageEvent event, UUID eventId, List<FieldError> errors) {
    }

    private UsageEventReader() {
    }

    static Read read(JsonNode element) {
        if (!element.isObject()) {
            return new Read(null, null, List.of(new FieldError(WHOLE_EVENT,
                    "must be a JSON object, got " + EventFields.describe(element))));
        }
        EventFields f = new EventFields(element);
        for (Iterator<String> names = element.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                f.error(new FieldError(name, "is not a field of a usage event"));
            }
        }
        UUID eventId = f.uuid("event_id");
        UsageEvent.Builder b = UsageEvent.builder()
                .eventId(eventId)
                .eventTime(f.instant("event_time"))
                .userId(f.text("user_id"))
                .workspaceId(f.text("workspace_id"))
                .conversationId(f.uuid("conversation_id"))
                .messageId(f.text("message_id"))
                .agentId(f.text("agent_id"))
                .agentDbId(f.text("agent_db_id"))
                .model(f.text("model"))
                .provider(f.text("provider"))
                .totalTokens(f.whole("total_tokens"))
                .turnId(f.text("turn_id"))
                .sessionId(f.text("session_id"))
                .serviceTier(f.text("service_tier"));
        b.promptTokens(count(f, "prompt_tokens"))
                .completionTokens(count(f, "completion_tokens"))
                .toolUsePromptTokens(count(f, "tool_use_prompt_tokens"))
                .thoughtsTokens(count(f, "thoughts_tokens"))
                .cachedTokens(count(f, "cached_tokens"))
                .cacheCreationTokens(count(f, "cache_creation_tokens"))
                .cacheCreation1hTokens(count(f, "cache_creation_1h_tokens"))
                .audioPromptTokens(count(f, "audio_prompt_tokens"))
                .audioCompletionTokens(count(f, "audio_completion_tokens"))
                .imagePromptTokens(count(f, "image_prompt_tokens"))
                .imageCompletionTokens(count(f, "image_completion_tokens"))
                .webSearchRequests(count(f, "web_search_requests"))
                .inputImages(count(f, "input_images"))
                .outputImages(count(f, "output_images"))
                .inputAudioSeconds(f.decimal("input_audio_seconds"))
                .inputVideoSeconds(f.decimal("input_video_seconds"))
                .outputAudioSeconds(f.decimal("output_audio_seconds"))
                .outputVideoSeconds(f.decimal("output_video_seconds"))
                .inferenceGeo(f.text("inference_geo"));
        Integer sequence = f.smallWhole("call_sequence");
        b.callSequence(sequence == null ? 0 : sequence);

        List<FieldError> errors = new ArrayList<>(f.errors());
        try {
            UsageEvent event = b.build();
            return errors.isEmpty() ? new Read(event, event.eventId(), List.of()) : new Read(null, eventId, errors);
        } catch (InvalidUsageEventException e) {
            boolean countUnreadable = f.errors().stream().anyMatch(x -> x.field().endsWith("_tokens"));
            for (FieldError x : e.errors()) {
                // A field we could not read was passed on as absent; what the event says about that, or
                // about sums over a count we could not read, would only repeat or mislead.
                if (!f.failed(x.field()) && !(countUnreadable && SUMMED.contains(x.field()))) {
                    errors.add(x);
                }
            }
            return new Read(null, eventId, errors);
        }
    }

    /** The main counts must be sent: an omitted count would silently price the call as free. */
    private static long count(EventFields f, String field) {
        Long v = f.whole(field);
        if (v == null && REQUIRED_COUNTS.contains(field) && !f.failed(field)) {
            f.error(new FieldError(field, "is required (a whole number of tokens, 0 if none)"));
        }
        return v == null ? 0 : v;
    }
}
