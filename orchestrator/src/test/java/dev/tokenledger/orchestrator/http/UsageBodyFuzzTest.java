package dev.tokenledger.orchestrator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Whatever a client sends to POST /v1/usage — random bytes, truncated or deeply nested JSON, wrong types,
 * text that is not UTF-8, good events mixed with junk — the answer is a clear 4xx (or 202/207 for what
 * was good), never a 500, and every good event next to the junk is recorded.
 */
class UsageBodyFuzzTest {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final int MAX_BODY = 64 * 1024;
    private static RunningApi api;

    @BeforeContainer
    static void start() {
        api = RunningApi.start("body_fuzz", "fuzz-key-0123456789abcdef",
                Map.of("TOKENLEDGER_MAX_BODY_BYTES", Integer.toString(MAX_BODY)));
    }

    @AfterContainer
    static void stop() {
        api.close();
    }

    @Property(tries = 150)
    void anyBytesAtAllGetAClientErrorOrAResultNeverAServerError(@ForAll("bodies") byte[] body) {
        // Over the cap the server answers 413 from the Content-Length alone and closes the connection; a client
        // still writing the body then reads no answer at all. Expect: 100-continue is HTTP's way to ask first:
        // the client sends the body only after a 100, and takes the 413 instead.
        boolean overTheCap = body.length > MAX_BODY;
        ApiClient.Reply reply = api.client.send(api.client.request("/v1/usage").expectContinue(overTheCap)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).header("Content-Type", "application/json"));
        if (overTheCap) {
            assertThat(reply.status()).as("body %s", preview(body)).isEqualTo(413);
            assertThat(reply.json().get("error").asText()).contains("TOKENLEDGER_MAX_BODY_BYTES");
            return;
        }
        assertThat(reply.status()).as("body %s", preview(body)).isIn(202, 207, 400, 413);
        assertThat(reply.json().has("error") || reply.json().has("results")).isTrue();
    }

    @Property(tries = 60)
    void goodEventsMixedWithJunkAreAllRecordedAndEachJunkElementIsRejectedAlone(
            @ForAll("goodEvents") List<ObjectNode> good, @ForAll("junk") List<JsonNode> junk) throws SQLException {
        ArrayNode body = JSON.arrayNode();
        List<Integer> junkAt = new ArrayList<>();
        int g = 0;
        int j = 0;
        while (g < good.size() || j < junk.size()) {
            if (j < junk.size() && (g >= good.size() || (g + j) % 2 == 1)) {
                junkAt.add(body.size());
                body.add(junk.get(j++));
            } else {
                body.add(good.get(g++));
            }
        }
        ApiClient.Reply reply = api.client.post("/v1/usage", body);
        assertThat(reply.status()).isEqualTo(good.isEmpty() ? 400 : junk.isEmpty() ? 202 : 207);
        if (body.isEmpty()) {
            return; // an empty array is refused as a whole
        }
        JsonNode results = reply.json().get("results");
        for (int i = 0; i < body.size(); i++) {
            String status = results.get(i).get("status").asText();
            if (junkAt.contains(i)) {
                assertThat(status).as("element %d: %s", i, body.get(i)).isEqualTo("rejected");
                assertThat(results.get(i).get("errors")).isNotEmpty();
            } else {
                assertThat(status).isEqualTo("accepted");
            }
        }
        for (ObjectNode e : good) {
            assertThat(stored(UUID.fromString(e.get("event_id").asText()))).isTrue();
        }
    }

    @Provide
    Arbitrary<byte[]> bodies() {
        Arbitrary<byte[]> randomBytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        Arbitrary<byte[]> text = Arbitraries.strings().ofMaxLength(300).map(s -> s.getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> truncated = Arbitraries.integers().between(0, 200).map(n -> {
            String full = event().toString();
            return full.substring(0, Math.min(n, full.length())).getBytes(StandardCharsets.UTF_8);
        });
        Arbitrary<byte[]> nested = Arbitraries.integers().between(1, 5_000)
                .map(depth -> ("[".repeat(depth) + "]".repeat(depth)).getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> notUtf8 = Arbitraries.of(new byte[] {'{', '"', 'm', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'},
                new byte[] {(byte) 0xFF, (byte) 0xFE, '[', ']'}, new byte[] {'[', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', ']'});
        Arbitrary<byte[]> huge = Arbitraries.just(("[" + (event() + ",").repeat(400) + event() + "]")
                .getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> wrongTypes = junkElement().map(n -> n.toString().getBytes(StandardCharsets.UTF_8));
        return Arbitraries.oneOf(randomBytes, text, truncated, nested, notUtf8, huge, wrongTypes);
    }

    @Provide
    Arbitrary<List<ObjectNode>> goodEvents() {
        return Arbitraries.integers().between(0, 5).map(n -> {
            List<ObjectNode> events = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                events.add(event());
            }
            return events;
        });
    }

    @Provide
    Arbitrary<List<JsonNode>> junk() {
        return junkElement().list().ofMaxSize(5);
    }

    /** An element that cannot be a usage event: wrong types, bad values, missing fields, unknown fields, or not an object. */
    private static Arbitrary<JsonNode> junkElement() {
        Arbitrary<JsonNode> notAnObject = Arbitraries.oneOf(
                Arbitraries.integers().map(JSON::numberNode), Arbitraries.strings().ofMaxLength(20).map(JSON::textNode),
                Arbitraries.just(JSON.nullNode()), Arbitraries.just(JSON.arrayNode().add(1)), Arbitraries.just(JSON.booleanNode(true)));
        Arbitrary<String> field = Arbitraries.of("event_id", "event_time", "user_id", "workspace_id", "model",
                "prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens", "service_tier", "conversation_id",
                "no_such_field");
        Arbitrary<JsonNode> badValue = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(30).map(JSON::textNode),
                Arbitraries.longs().map(JSON::numberNode), Arbitraries.doubles().map(JSON::numberNode),
                Arbitraries.just(JSON.objectNode().put("nested", 1)), Arbitraries.just(JSON.nullNode()),
                Arbitraries.just(JSON.numberNode(-5)), Arbitraries.just(JSON.textNode("x".repeat(300))));
        Arbitrary<JsonNode> brokenEvent = Combinators.combine(field, badValue).as((f, v) -> {
            ObjectNode e = event();
            e.set(f, v);
            // A bad value may by chance be acceptable (a string that is a valid id); make the element surely bad.
            e.put("prompt_tokens", -1);
            return e;
        });
        Arbitrary<JsonNode> missing = field.map(f -> {
            ObjectNode e = event();
            e.remove(f);
            e.remove("model");
            return e;
        });
        return Arbitraries.oneOf(notAnObject, brokenEvent, missing);
    }

    private static ObjectNode event() {
        ObjectNode e = JSON.objectNode();
        e.put("event_id", UUID.randomUUID().toString());
        e.put("event_time", Instant.now().minusSeconds(30).truncatedTo(ChronoUnit.MILLIS).toString());
        e.put("user_id", "fuzz-user");
        e.put("workspace_id", "fuzz-ws");
        e.put("model", "gpt-4o-mini");
        e.put("provider", "openai");
        e.put("prompt_tokens", 100);
        e.put("completion_tokens", 20);
        return e;
    }

    private static boolean stored(UUID id) throws SQLException {
        try (Connection c = api.postgres.dataSource().getConnection();
             PreparedStatement st = c.prepareStatement("SELECT 1 FROM usage_event WHERE event_id = ?")) {
            st.setObject(1, id);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static String preview(byte[] body) {
        String s = new String(body, 0, Math.min(body.length, 120), StandardCharsets.ISO_8859_1);
        return s + (body.length > 120 ? "... (" + body.length + " bytes)" : "");
    }
}
