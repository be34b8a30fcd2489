package dev.tokenledger.orchestrator.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/** Usage events as a client sends them: JSON with the column names, realistic and consistent counts. */
final class UsageJson {
    private UsageJson() {
    }

    /** A gpt-4o call a minute ago, in {@code workspace}, with a fresh event id. */
    static ObjectNode event(String workspace) {
        ObjectNode e = ApiClient.JSON.createObjectNode();
        e.put("event_id", UUID.randomUUID().toString());
        e.put("event_time", Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.MILLIS).toString());
        e.put("user_id", "u-17");
        e.put("workspace_id", workspace);
        e.put("agent_id", "planner");
        e.put("model", "gpt-4o");
        e.put("provider", "openai");
        e.put("prompt_tokens", 1200);
        e.put("cached_tokens", 200);
        e.put("completion_tokens", 300);
        return e;
    }

    static ArrayNode array(JsonNode... events) {
        ArrayNode a = ApiClient.JSON.createArrayNode();
        for (JsonNode e : events) {
            a.add(e);
        }
        return a;
    }
}
