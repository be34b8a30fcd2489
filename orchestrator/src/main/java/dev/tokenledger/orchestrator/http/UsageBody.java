package dev.tokenledger.orchestrator.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The body of {@code POST /v1/usage} as a list of JSON elements: one event object, or an array of them.
 * Each element is then read on its own ({@link UsageEventReader}), so one bad event never sinks its
 * neighbours; only a body that is not JSON at all, or not an object or array, is refused whole.
 */
final class UsageBody {
    /** Most events in one request; a bigger batch is split by the client (the answer lists every event). */
    static final int MAX_EVENTS = 10_000;

    private UsageBody() {
    }

    static List<JsonNode> elements(byte[] body, ObjectMapper json) {
        if (isBlank(body)) {
            throw ApiException.badRequest("the body is empty: send one usage event as a JSON object, or an array of them");
        }
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the body is not valid JSON: " + e.getOriginalMessage() + where(e.getLocation()));
        } catch (IOException e) {
            throw ApiException.badRequest("the body could not be read: " + e.getMessage());
        }
        if (root.isObject()) {
            return List.of(root);
        }
        if (!root.isArray()) {
            throw ApiException.badRequest("the body must be a usage event object or an array of them, got "
                    + EventFields.describe(root));
        }
        if (root.isEmpty()) {
            throw ApiException.badRequest("the array is empty: send at least one usage event");
        }
        if (root.size() > MAX_EVENTS) {
            throw ApiException.tooLarge("the array holds " + root.size() + " events; send at most " + MAX_EVENTS
                    + " per request");
        }
        List<JsonNode> elements = new ArrayList<>(root.size());
        root.forEach(elements::add);
        return elements;
    }

    private static boolean isBlank(byte[] body) {
        for (byte b : body) {
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return false;
            }
        }
        return true;
    }

    private static String where(JsonLocation at) {
        return at == null || at.getLineNr() < 0 ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
}
