package dev.tokenledger.orchestrator.http;

import static dev.tokenledger.orchestrator.http.OtlpSpans.number;
import static dev.tokenledger.orchestrator.http.OtlpSpans.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Whatever an OTLP client sends to POST /v1/traces — random bytes, truncated protobuf, JSON of the wrong shape,
 * huge attribute values, int64 as strings, fields nobody defined, gzip or not — the answer is a 200 or a clear 4xx
 * with a google.rpc.Status, never a 500; and every good span next to bad ones is recorded while each bad one is
 * refused (counted in partial_success) or left out, on its own.
 */
class TracesBodyFuzzTest {
    private static final int MAX_BODY = 1024 * 1024;
    private static final String WORKSPACE = "fuzz-ws";
    private static RunningApi api;

    @BeforeContainer
    static void start() {
        api = RunningApi.start("traces_fuzz", "traces-fuzz-key-0123456789",
                Map.of("TOKENLEDGER_MAX_BODY_BYTES", Integer.toString(MAX_BODY)));
    }

    @AfterContainer
    static void stop() {
        api.close();
    }

    /** A body and how it is sent. */
    record Sent(byte[] body, OtlpEncoding encoding, boolean gzip) {
        @Override
        public String toString() {
            String s = new String(body, 0, Math.min(body.length, 100), StandardCharsets.ISO_8859_1);
            return encoding + (gzip ? "+gzip " : " ") + body.length + " bytes: " + s;
        }
    }

    @Property(tries = 100)
    void anyBodyAtAllGetsA200OrAClientErrorWithAStatusNeverAServerError(@ForAll("bodies") Sent sent) {
        byte[] wire = sent.gzip() ? OtlpSpans.gzip(sent.body()) : sent.body();
        HttpRequest.Builder request = api.client.request("/v1/traces").expectContinue(wire.length > MAX_BODY)
                .header("Content-Type", sent.encoding().mediaType).POST(HttpRequest.BodyPublishers.ofByteArray(wire));
        if (sent.gzip()) {
            request.header("Content-Encoding", "gzip");
        }
        ApiClient.Bytes reply = api.client.sendForBytes(request);

        assertThat(reply.status()).as("%s", sent).isIn(200, 400, 413);
        assertThat(reply.headers().firstValue("Content-Type")).hasValueSatisfying(v ->
                assertThat(v).startsWith(sent.encoding().mediaType));
        if (reply.status() == 200) {
            return;
        }
        String message = sent.encoding() == OtlpEncoding.PROTOBUF ? OtlpSpans.statusMessage(reply)
                : json(reply.body()).get("message").asText();
        assertThat(message).isNotBlank();
    }

    @Property(tries = 30)
    void goodSpansNextToBadOnesAreRecordedAndEachBadOneIsRefusedOrLeftOutAlone(
            @ForAll("goodSpans") List<Span> good, @ForAll("badSpans") List<Bad> bad, @ForAll boolean asJson,
            @ForAll boolean gzip) throws SQLException {
        List<Span> all = new ArrayList<>(good);
        int refusable = 0;
        for (int i = 0; i < bad.size(); i++) {
            all.add(Math.min(all.size(), i * 2), bad.get(i).span());
            refusable += bad.get(i).refused() ? 1 : 0;
        }
        ExportTraceServiceRequest request = OtlpSpans.request(WORKSPACE, all.toArray(Span[]::new));
        byte[] body = asJson ? jsonWithSenderQuirks(request).getBytes(StandardCharsets.UTF_8) : request.toByteArray();
        HttpRequest.Builder b = api.client.request("/v1/traces")
                .header("Content-Type", asJson ? "application/json" : "application/x-protobuf")
                .POST(HttpRequest.BodyPublishers.ofByteArray(gzip ? OtlpSpans.gzip(body) : body));
        if (gzip) {
            b.header("Content-Encoding", "gzip");
        }
        ApiClient.Bytes reply = api.client.sendForBytes(b);

        assertThat(reply.status()).as(reply.text()).isEqualTo(200);
        long rejected = asJson ? json(reply.body()).at("/partialSuccess/rejectedSpans").asLong()
                : OtlpSpans.response(reply).getPartialSuccess().getRejectedSpans();
        assertThat(rejected).as("bad spans: %s", bad).isEqualTo(refusable);
        for (Span s : good) {
            assertThat(TracesEndpointTest.stored(api, s)).as("good span %s", s.getName()).isTrue();
        }
        for (Bad x : bad) {
            if (OtlpSpanMapper.eventId(x.span()) != null) {
                assertThat(TracesEndpointTest.stored(api, x.span())).as("bad span %s", x).isFalse();
            }
        }
    }

    /** A span that must not be recorded: refused (counted in partial_success) or not a model call (left out). */
    record Bad(String what, Span span, boolean refused) {
        @Override
        public String toString() {
            return what;
        }
    }

    @Provide
    Arbitrary<List<Span>> goodSpans() {
        return Arbitraries.integers().between(0, 4).map(n -> {
            List<Span> spans = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                spans.add(OtlpSpans.chat("gpt-4o-mini", 100 + i, i, 20).build());
            }
            return spans;
        });
    }

    @Provide
    Arbitrary<List<Bad>> badSpans() {
        Arbitrary<Bad> bad = Arbitraries.oneOf(
                Arbitraries.strings().ofMinLength(1).ofMaxLength(40).map(s -> new Bad("input as text '" + s + "'",
                        chatWith(3, text("gen_ai.usage.input_tokens", "x" + s)), true)),
                Arbitraries.longs().lessOrEqual(-1).map(n -> new Bad("negative input " + n,
                        chatWith(3, number("gen_ai.usage.input_tokens", n)), true)),
                Arbitraries.doubles().between(0.01, 1e9).filter(d -> d != Math.rint(d)).map(d -> new Bad("input " + d,
                        chatWith(3, KeyValue.newBuilder().setKey("gen_ai.usage.input_tokens")
                                .setValue(AnyValue.newBuilder().setDoubleValue(d)).build()), true)),
                Arbitraries.integers().between(257, 100_000).map(n -> new Bad("model of " + n + " chars",
                        chatWith(2, text("gen_ai.request.model", "m".repeat(n))), true)),
                Arbitraries.integers().between(257, 100_000).map(n -> new Bad("user.id of " + n + " chars",
                        chatWith(6, text("user.id", "u".repeat(n))), true)),
                Arbitraries.just(new Bad("model as an array", chatWith(2, KeyValue.newBuilder()
                        .setKey("gen_ai.request.model").setValue(AnyValue.newBuilder().setArrayValue(ArrayValue
                                .newBuilder().addValues(AnyValue.newBuilder().setStringValue("gpt-4o")))).build()), true)),
                Arbitraries.integers().between(0, 15).map(n -> new Bad("trace id of " + n + " bytes",
                        OtlpSpans.chat("gpt-4o", 10, 0, 5).setTraceId(ByteString.copyFrom(new byte[n])).build(), true)),
                Arbitraries.just(new Bad("end time 0", OtlpSpans.chat("gpt-4o", 10, 0, 5).setEndTimeUnixNano(0).build(),
                        true)),
                Arbitraries.just(new Bad("end time in 2200", OtlpSpans.chat("gpt-4o", 10, 0, 5)
                        .setEndTimeUnixNano(7_258_118_400_000_000_000L).build(), true)),
                Arbitraries.just(new Bad("cache above input", OtlpSpans.chat("gpt-4o", 10, 50, 5).build(), true)),
                Arbitraries.of("invoke_agent", "execute_tool", "create_agent", "invoke_workflow", "rerank")
                        .map(op -> new Bad(op + " span", chatWith(0, text("gen_ai.operation.name", op)), false)),
                Arbitraries.integers().between(0, 100_000).map(n -> new Bad("no usage, a " + n + "-char attribute",
                        OtlpSpans.span("GET /", text("http.url", "x".repeat(n))).build(), false)));
        return bad.list().ofMaxSize(4);
    }

    private static Span chatWith(int index, KeyValue attribute) {
        return OtlpSpans.chat("gpt-4o", 100, 10, 20).setAttributes(index, attribute).build();
    }

    @Provide
    Arbitrary<Sent> bodies() {
        ExportTraceServiceRequest sample = OtlpSpans.request(WORKSPACE, OtlpSpans.chat("gpt-4o", 100, 10, 20).build(),
                OtlpSpans.chat("gpt-4o-mini", 30, 0, 3).build());
        byte[] proto = sample.toByteArray();
        byte[] json = OtlpSpans.json(sample).getBytes(StandardCharsets.UTF_8);
        Arbitrary<OtlpEncoding> encoding = Arbitraries.of(OtlpEncoding.class);
        Arbitrary<Boolean> gzip = Arbitraries.of(true, false);
        Arbitrary<byte[]> randomBytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(400);
        Arbitrary<byte[]> truncatedProto = Arbitraries.integers().between(0, proto.length)
                .map(n -> Arrays.copyOf(proto, n));
        Arbitrary<byte[]> truncatedJson = Arbitraries.integers().between(0, json.length).map(n -> Arrays.copyOf(json, n));
        Arbitrary<byte[]> flipped = Arbitraries.integers().between(0, proto.length - 1).map(i -> {
            byte[] copy = proto.clone();
            copy[i] ^= (byte) 0x5A;
            return copy;
        });
        Arbitrary<byte[]> wrongJsonTypes = Arbitraries.of("{\"resourceSpans\": 7}", "{\"resourceSpans\": [7]}",
                "[]", "\"traces\"", "null", "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\": 5}]}]}]}",
                "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"endTimeUnixNano\": \"soon\"}]}]}]}",
                "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"kind\": \"SIDEWAYS\"}]}]}]}",
                "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"attributes\":[{\"key\":\"a\",\"value\":{\"intValue\":"
                        + "\"99999999999999999999999\"}}]}]}]}]}",
                "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"spanId\": \"zz\"}]}]}]}")
                .map(s -> s.getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> deep = Arbitraries.integers().between(1, 3_000).map(depth -> ("{\"resourceSpans\":[{\"resource\""
                + ":{\"attributes\":[{\"key\":\"k\",\"value\":" + "{\"kvlistValue\":{\"values\":[{\"key\":\"k\",\"value\":"
                .repeat(depth) + "{}" + "}]}}".repeat(depth) + "}]}}]}").getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> huge = Arbitraries.integers().between(100_000, 1_500_000).map(n -> OtlpSpans.request(WORKSPACE,
                OtlpSpans.chat("gpt-4o", 10, 0, 5).addAttributes(text("gen_ai.input.messages", "x".repeat(n))).build())
                .toByteArray());
        Arbitrary<byte[]> any = Arbitraries.oneOf(randomBytes, truncatedProto, truncatedJson, flipped, wrongJsonTypes,
                deep, huge);
        return net.jqwik.api.Combinators.combine(any, encoding, gzip).as(Sent::new);
    }

    /**
     * OTLP/JSON as different senders write it: int64 as numbers rather than strings, enum names as integers, and
     * fields this receiver has never heard of, at every level.
     */
    private static String jsonWithSenderQuirks(ExportTraceServiceRequest request) {
        try {
            JsonNode root = ApiClient.JSON.readTree(OtlpSpans.json(request));
            quirks(root);
            return root.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void quirks(JsonNode node) {
        if (node instanceof ObjectNode o) {
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                JsonNode v = o.get(name);
                if (name.equals("intValue") && v.isTextual() && v.asText().length() < 15) {
                    o.put(name, Long.parseLong(v.asText()));
                } else if (name.equals("kind") && v.isTextual()) {
                    o.put(name, 3);
                } else {
                    quirks(v);
                }
            }
            o.put("x_future_field_" + names.size(), "ignored");
        } else if (node instanceof ArrayNode a) {
            a.forEach(TracesBodyFuzzTest::quirks);
        }
    }

    private static JsonNode json(byte[] body) {
        try {
            return ApiClient.JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + new String(body, StandardCharsets.UTF_8), e);
        }
    }
}
