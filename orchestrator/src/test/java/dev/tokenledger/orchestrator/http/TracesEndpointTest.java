package dev.tokenledger.orchestrator.http;

import static dev.tokenledger.orchestrator.http.OtlpSpans.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenledger.orchestrator.keys.ApiKeyStore;
import dev.tokenledger.orchestrator.keys.Scope;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.trace.v1.Span;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How {@code POST /v1/traces} answers, per the OTLP/HTTP specification: 200 with an ExportTraceServiceResponse whose
 * partial_success counts every refused span, in the request's encoding; 400 with a google.rpc.Status for a body that
 * cannot be read; 413 over the body limit (before and after gzip); 415 for other media types; 401 as every route.
 * A key bound to one workspace gives it to spans that name none, and is refused spans of another workspace.
 */
class TracesEndpointTest {
    private static final String KEY = "traces-key-" + UUID.randomUUID();
    private static final int MAX_BODY = 64 * 1024;
    private static final String FORBIDDEN = "forbidden-ws";
    /** The one workspace {@link #bound}'s key may write. */
    private static final String BOUND = "ws-bound-" + UUID.randomUUID().toString().substring(0, 8);
    private static RunningApi running;
    private static ApiClient bound;
    private static ApiClient client;

    @BeforeAll
    static void start() {
        running = RunningApi.start("otlp_traces", KEY, Map.of("TOKENLEDGER_MAX_BODY_BYTES", Integer.toString(MAX_BODY)));
        client = running.client;
        String key = new ApiKeyStore(running.postgres.dataSource(), InstantSource.system())
                .create("otlp-bound", Set.of(Scope.USAGE_WRITE), Set.of(BOUND), "test").secret();
        bound = client.withKey(key);
        // Created after the API started: it counts from the key ring's next read.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).pollInSameThread()
                .until(() -> bound.get("/v1/meta").status() == 200);
    }

    @AfterAll
    static void stop() {
        if (running != null) {
            running.close();
        }
    }

    @Test
    void goodSpansAreDurableOnThe200AndEveryRefusedSpanIsCountedInPartialSuccess() throws SQLException {
        String ws = BOUND;
        Span good = OtlpSpans.chat("gpt-4o", 1200, 200, 300).build();
        Span embedding = OtlpSpans.span("embeddings", text("gen_ai.operation.name", "embeddings"),
                text("gen_ai.request.model", "text-embedding-3-small"), OtlpSpans.number("gen_ai.usage.input_tokens", 90),
                text("user.id", "u-17")).build();
        Span noUser = OtlpSpans.chat("gpt-4o", 10, 0, 5).removeAttributes(6).build();
        Span noModel = OtlpSpans.chat("gpt-4o", 10, 0, 5).removeAttributes(2).build();
        Span agent = OtlpSpans.chat("gpt-4o", 5000, 0, 900).setAttributes(0, text("gen_ai.operation.name",
                "invoke_agent")).build();
        Span tool = OtlpSpans.span("execute_tool lookup", text("gen_ai.operation.name", "execute_tool")).build();
        Span http = OtlpSpans.span("GET /orders", text("http.request.method", "GET")).build();
        Span forbidden = OtlpSpans.chat("gpt-4o", 10, 0, 5).addAttributes(text(OtlpSpanMapper.WORKSPACE_ATTRIBUTE,
                FORBIDDEN)).build();

        ApiClient.Bytes reply = OtlpSpans.postProtobuf(bound, OtlpSpans.request(ws, good, embedding, noUser, noModel, agent,
                tool, http, forbidden).toByteArray());

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.headers().firstValue("Content-Type")).hasValueSatisfying(v ->
                assertThat(v).startsWith("application/x-protobuf"));
        ExportTraceServiceResponse response = OtlpSpans.response(reply);
        assertThat(response.hasPartialSuccess()).isTrue();
        assertThat(response.getPartialSuccess().getRejectedSpans()).as("skipped and ignored spans are not refused")
                .isEqualTo(2);
        assertThat(response.getPartialSuccess().getErrorMessage()).startsWith("2 spans refused: ")
                .contains("span " + OtlpSpanMapper.spanRef(noModel) + ": gen_ai.response.model (or"
                        + " gen_ai.request.model) is required")
                .contains("this API key may not write workspace '" + FORBIDDEN + "' (key 'otlp-bound')");
        assertThat(stored(good)).isTrue();
        assertThat(stored(embedding)).isTrue();
        assertThat(stored(noUser)).as("a span without a user is recorded for the unknown user").isTrue();
        for (Span s : List.of(noModel, agent, tool, http, forbidden)) {
            assertThat(stored(s)).as(s.getName()).isFalse();
        }
    }

    @Test
    void aFullyAcceptedBatchHasNoPartialSuccessAndSendingItAgainCountsNothingTwice() throws SQLException {
        ExportTraceServiceRequest request = OtlpSpans.request(workspace(), OtlpSpans.chat("gpt-4o-mini", 900, 0, 100)
                .build(), OtlpSpans.chat("gpt-4o", 100, 0, 10).build());

        for (int attempt = 0; attempt < 2; attempt++) {
            ApiClient.Bytes reply = OtlpSpans.postProtobuf(client, request.toByteArray());
            assertThat(reply.status()).isEqualTo(200);
            assertThat(OtlpSpans.response(reply).hasPartialSuccess()).as("attempt %d", attempt).isFalse();
        }
        assertThat(rows(request)).isEqualTo(2);
    }

    @Test
    void otlpJsonIsAnsweredInJsonWithHexIdsAndInt64AsStringsOrNumbers() throws SQLException {
        Span good = OtlpSpans.chat("gpt-4o", 1200, 200, 300).build();
        Span noModel = OtlpSpans.chat("gpt-4o", 10, 0, 5).removeAttributes(2).build();
        ExportTraceServiceRequest request = OtlpSpans.request(workspace(), good, noModel);
        // JsonFormat prints int64 as strings; OTLP/JSON senders may also send numbers, and fields we do not know.
        String json = OtlpSpans.json(request).replace("\"intValue\":\"300\"", "\"intValue\":300")
                .replace("\"resourceSpans\"", "\"someFutureField\":{\"x\":[1,2]},\"resourceSpans\"");
        assertThat(json).contains(OtlpSpanMapper.spanRef(good).split("/")[0]).contains("\"intValue\":300");

        ApiClient.Reply reply = OtlpSpans.postJson(client, json);

        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        assertThat(reply.headers().firstValue("Content-Type")).hasValueSatisfying(v ->
                assertThat(v).startsWith("application/json"));
        JsonNode body = reply.json();
        assertThat(body.at("/partialSuccess/rejectedSpans").asLong()).isEqualTo(1);
        assertThat(body.at("/partialSuccess/errorMessage").asText()).contains("gen_ai.response.model (or"
                + " gen_ai.request.model) is required");
        assertThat(stored(good)).isTrue();
        assertThat(OpenApiTest.shape(body)).as("the documented 200").isEqualTo(OpenApiTest.shape(ApiClient.JSON
                .valueToTree(openApi200())));
    }

    @Test
    void aSpanWhoseAttributesNameNoWorkspaceTakesItsKeysOneWorkspaceAndWithoutOneIsRefused() throws SQLException {
        Span first = OtlpSpans.chat("gpt-4o", 10, 0, 5).build();
        Span second = OtlpSpans.chat("gpt-4o", 10, 0, 5).build();
        String ws = BOUND;

        // The bound key names one workspace; the admin key may write every one, so it names none.
        ApiClient.Bytes named = OtlpSpans.postProtobuf(bound, OtlpSpans.request(null, first).toByteArray());
        ApiClient.Bytes unnamed = OtlpSpans.postProtobuf(client, OtlpSpans.request(null, second).toByteArray());

        assertThat(OtlpSpans.response(named).hasPartialSuccess()).isFalse();
        assertThat(workspaceOf(first)).isEqualTo(ws);
        assertThat(OtlpSpans.response(unnamed).getPartialSuccess().getErrorMessage())
                .contains("no workspace: set the resource (or span) attribute tokenledger.workspace_id");
        assertThat(stored(second)).isFalse();
    }

    @Test
    void aGzipBodyIsReadAndOneThatInflatesPastTheLimitIsAnswered413() throws SQLException {
        Span span = OtlpSpans.chat("gpt-4o", 10, 0, 5).build();
        byte[] gz = OtlpSpans.gzip(OtlpSpans.request(workspace(), span).toByteArray());
        ApiClient.Bytes reply = client.sendForBytes(client.request("/v1/traces").header("Content-Type",
                "application/x-protobuf").header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(gz)));
        assertThat(reply.status()).isEqualTo(200);
        assertThat(stored(span)).isTrue();

        byte[] bomb = OtlpSpans.gzip(new byte[MAX_BODY * 4]);
        assertThat(bomb.length).isLessThan(MAX_BODY);
        ApiClient.Bytes tooLarge = client.sendForBytes(client.request("/v1/traces").header("Content-Type",
                "application/x-protobuf").header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(bomb)));
        assertThat(tooLarge.status()).isEqualTo(413);
        assertThat(OtlpSpans.statusMessage(tooLarge)).contains("TOKENLEDGER_MAX_BODY_BYTES");

        ApiClient.Reply notGzip = client.send(client.request("/v1/traces").header("Content-Type", "application/json")
                .header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertThat(notGzip.status()).isEqualTo(400);
        assertThat(notGzip.json().get("message").asText()).startsWith("the body is not valid gzip");
    }

    @Test
    void aBodyOverTheLimitIsAnswered413InTheRequestsEncoding() {
        List<Span> spans = new ArrayList<>();
        ExportTraceServiceRequest request;
        do {
            spans.add(OtlpSpans.chat("gpt-4o", 10, 0, 5).build());
            request = OtlpSpans.request(workspace(), spans.toArray(Span[]::new));
        } while (request.getSerializedSize() <= MAX_BODY);
        // Expect: 100-continue, so the client reads the early 413 instead of writing into a closed connection.
        ApiClient.Bytes reply = client.sendForBytes(client.request("/v1/traces").expectContinue(true)
                .header("Content-Type", "application/x-protobuf")
                .POST(HttpRequest.BodyPublishers.ofByteArray(request.toByteArray())));

        assertThat(reply.status()).isEqualTo(413);
        assertThat(OtlpSpans.statusMessage(reply)).contains("TOKENLEDGER_MAX_BODY_BYTES");
    }

    @Test
    void anUnreadableBodyIsAnswered400WithAStatusInTheRequestsEncoding() {
        ApiClient.Bytes garbage = OtlpSpans.postProtobuf(client, "this is not protobuf".getBytes(StandardCharsets.UTF_8));
        assertThat(garbage.status()).isEqualTo(400);
        assertThat(garbage.headers().firstValue("Content-Type")).hasValueSatisfying(v ->
                assertThat(v).startsWith("application/x-protobuf"));
        assertThat(OtlpSpans.statusMessage(garbage)).startsWith("the body is not a protobuf ExportTraceServiceRequest");

        ApiClient.Reply notJson = OtlpSpans.postJson(client, "{\"resourceSpans\": [");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.json().get("code").asInt()).isEqualTo(3);
        assertThat(notJson.json().get("message").asText()).startsWith("the body is not valid JSON");

        ApiClient.Reply base64Ids = OtlpSpans.postJson(client, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":"
                + "[{\"traceId\":\"W47/95gDgQPSabYzgT/GDA==\",\"spanId\":\"7uGbfsPBsXQ=\"}]}]}]}");
        assertThat(base64Ids.status()).isEqualTo(400);
        assertThat(base64Ids.json().get("message").asText())
                .startsWith("resourceSpans[0].scopeSpans[0].spans[0].traceId must be hex digits");

        ApiClient.Reply wrongType = OtlpSpans.postJson(client, "{\"resourceSpans\":{\"a\":1}}");
        assertThat(wrongType.status()).isEqualTo(400);
        assertThat(wrongType.json().get("message").asText()).startsWith("the body is not an OTLP/JSON");

        ApiClient.Reply empty = OtlpSpans.postJson(client, "{}");
        assertThat(empty.status()).as("no spans is a valid, empty export").isEqualTo(200);
    }

    @Test
    void otherMediaTypesAndEncodingsAreAnswered415() {
        ApiClient.Reply text = client.send(client.request("/v1/traces").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("hello")));
        assertThat(text.status()).isEqualTo(415);
        assertThat(text.json().get("message").asText())
                .isEqualTo("Content-Type must be application/x-protobuf or application/json (OTLP/HTTP), got 'text/plain'");

        ApiClient.Bytes brotli = client.sendForBytes(client.request("/v1/traces").header("Content-Type",
                "application/x-protobuf").header("Content-Encoding", "br").POST(HttpRequest.BodyPublishers.ofByteArray(
                OtlpSpans.request(workspace()).toByteArray())));
        assertThat(brotli.status()).isEqualTo(415);
        assertThat(OtlpSpans.statusMessage(brotli)).isEqualTo("Content-Encoding must be gzip or none, got 'br'");
    }

    @Test
    void aMissingOrWrongKeyIsAnswered401AsOnEveryOtherRoute() {
        byte[] body = OtlpSpans.request(workspace(), OtlpSpans.chat("gpt-4o", 10, 0, 5).build()).toByteArray();
        assertThat(OtlpSpans.postProtobuf(client.withKey(null), body).status()).isEqualTo(401);
        assertThat(OtlpSpans.postProtobuf(client.withKey("wrong-" + KEY), body).status()).isEqualTo(401);
    }

    private static JsonNode openApi200() {
        try (java.io.InputStream in = TracesEndpointTest.class.getResourceAsStream("/openapi.json")) {
            return ApiClient.JSON.readTree(in).at("/paths/~1v1~1traces/post/responses/200/content/application~1json/example");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String workspace() {
        return "ws-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static boolean stored(Span span) throws SQLException {
        return stored(running, span);
    }

    /** Whether {@code span}'s event is in usage_event (durable). */
    static boolean stored(RunningApi api, Span span) throws SQLException {
        return workspaceOf(api, span) != null;
    }

    private static String workspaceOf(Span span) throws SQLException {
        return workspaceOf(running, span);
    }

    private static String workspaceOf(RunningApi api, Span span) throws SQLException {
        try (Connection c = api.postgres.dataSource().getConnection();
             PreparedStatement st = c.prepareStatement("SELECT workspace_id FROM usage_event WHERE event_id = ?")) {
            st.setObject(1, OtlpSpans.eventId(span));
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static int rows(ExportTraceServiceRequest request) throws SQLException {
        int n = 0;
        for (Span s : request.getResourceSpans(0).getScopeSpans(0).getSpansList()) {
            try (Connection c = running.postgres.dataSource().getConnection();
                 PreparedStatement st = c.prepareStatement("SELECT count(*) FROM usage_event WHERE event_id = ?")) {
                st.setObject(1, OtlpSpans.eventId(s));
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    n += rs.getInt(1);
                }
            }
        }
        return n;
    }
}
