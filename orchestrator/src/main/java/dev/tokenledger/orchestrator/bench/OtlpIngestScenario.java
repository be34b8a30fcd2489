package dev.tokenledger.orchestrator.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.orchestrator.LedgerConfig;
import dev.tokenledger.orchestrator.http.HttpApi;
import dev.tokenledger.usage.UsageEvent;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Spans/s ingested through {@code POST /v1/traces} (OTLP/HTTP, binary protobuf, durable in PostgreSQL when the 200
 * comes), against {@code POST /v1/usage} carrying the same events as JSON, in the same run, each on fresh databases
 * with the usage writer running beside it as in the service. Several concurrent clients send batches of
 * {@value #SPANS_PER_REQUEST} model-call spans (an OpenTelemetry batch span processor's default export size) with
 * realistic GenAI attributes. Every accepted span must be in ClickHouse exactly once at the end.
 *
 * <p>Bodies are made once per phase and only their ids are rewritten per request (span ids in the protobuf bytes,
 * event ids in the JSON), so the clients' cost is a copy, not an encoding: the figure is the server's.
 */
final class OtlpIngestScenario implements Scenario {
    static final double TARGET_SPANS_PER_SECOND = 20_000;
    static final int CLIENTS = 8;
    static final int SPANS_PER_REQUEST = 512;
    private static final String KEY = "bench-otlp-key-0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> GEN_AI_PROVIDER = Map.of("vertex_ai", "gcp.vertex_ai");

    @Override
    public String name() {
        return "otlp";
    }

    @Override
    public String description() {
        return "spans/s ingested over POST /v1/traces (OTLP, durable on the 200) vs the same events over POST /v1/usage";
    }

    @Override
    public void run(BenchContext ctx, ScenarioResult result) throws Exception {
        Duration warmup = ctx.duration(Duration.ofSeconds(1), Duration.ofSeconds(5));
        Duration window = ctx.duration(Duration.ofSeconds(3), Duration.ofSeconds(20));
        List<UsageEvent> events = new BenchTraffic(17).next(SPANS_PER_REQUEST, Instant.now());
        Body traces = Body.otlp(events);
        Body usage = Body.usage(events);
        result.detail("request_bytes", Map.of("otlp_protobuf", traces.template.length, "usage_json",
                usage.template.length));

        // OTLP first: the phase that runs second finds the JIT warmer, so this order favours the baseline.
        Phase otlp = phase(ctx, result, "otlp", "/v1/traces", "application/x-protobuf", traces, warmup, window);
        Phase json = phase(ctx, result, "usage", "/v1/usage", "application/json", usage, warmup, window);

        result.add(Figure.of("spans_per_s", "OTLP spans/s ingested (protobuf, " + SPANS_PER_REQUEST + " per request, "
                                + CLIENTS + " clients, durable on the 200)", otlp.perSecond, "spans/s", Figure.Better.HIGHER)
                .target(Figure.Target.atLeast(TARGET_SPANS_PER_SECOND))
                .baseline(json.perSecond, "POST /v1/usage, the same events as JSON, same clients"));
        result.add(Figure.of("usage_events_per_s", "POST /v1/usage events/s, same events and clients",
                json.perSecond, "events/s", Figure.Better.HIGHER));
        if (otlp.cpuMicros != null) {
            Figure f = Figure.of("cpu_us_per_span", "CPU per span ingested (JVM incl. writer + PostgreSQL)",
                    otlp.cpuMicros, "us", Figure.Better.LOWER);
            result.add(json.cpuMicros == null ? f : f.baseline(json.cpuMicros, "per event over POST /v1/usage"));
        }
    }

    private record Phase(double perSecond, Double cpuMicros) {
    }

    private static Phase phase(BenchContext ctx, ScenarioResult result, String key, String path, String contentType,
                               Body body, Duration warmup, Duration window) throws Exception {
        BenchProgress progress = ctx.progress();
        progress.step(key + ": starting");
        LedgerConfig.Http http = new LedgerConfig.Http(0, List.of(KEY),
                Math.max(ctx.env().base().http().maxBodyBytes(), 16L << 20), false, 0);
        try (Ledger ledger = ctx.env().openLedger("otlp_" + key, Ledger.Mode.WORKER, http);
             HttpApi api = HttpApi.start(ledger);
             ClickHouse counter = ctx.env().openClickHouse(ledger.clickHouse().database(), false)) {
            URI uri = api.url().resolve(path);
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            AtomicLong accepted = new AtomicLong();
            AtomicLong requests = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<String> failure = new AtomicReference<>();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int clientId = c;
                clients.add(Thread.ofPlatform().name("bench-otlp-client-" + c).start(() -> {
                    long seq = 0;
                    while (!stop.get() && failure.get() == null) {
                        byte[] bytes = body.next(clientId, seq++);
                        try {
                            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri)
                                    .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + KEY)
                                    .header("Content-Type", contentType)
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(),
                                    HttpResponse.BodyHandlers.ofByteArray());
                            String problem = body.problem(r.statusCode(), r.body());
                            if (problem != null) {
                                failure.compareAndSet(null, path + ": " + problem);
                                return;
                            }
                            accepted.addAndGet(SPANS_PER_REQUEST);
                            requests.incrementAndGet();
                        } catch (Exception e) {
                            failure.compareAndSet(null, path + ": " + e);
                            return;
                        } 
                    }
                }));
            }
            progress.step(key + ": warm-up " + warmup.toSeconds() + "s");
            Window.sleep(warmup.toNanos());
            progress.step(key + ": measuring " + window.toSeconds() + "s");
            CpuMeter.Sample cpu0 = ctx.env().cpuMeter().sample();
            long n0 = accepted.get();
            Window.sleep(window.toNanos());
            long n1 = accepted.get();
            CpuMeter.Sample cpu = ctx.env().cpuMeter().sample().minus(cpu0);
            stop.set(true);
            for (Thread t : clients) {
                t.join();
            }
            if (failure.get() != null) {
                throw new IllegalStateException(failure.get());
            }
            double seconds = cpu.nanoTime() / 1e9;
            double perSecond = (n1 - n0) / seconds;
            Double cpuMicros = cpu.postgresCpuNanos() < 0 || n1 == n0 ? null
                    : (cpu.javaCpuNanos() + cpu.postgresCpuNanos()) / 1e3 / (n1 - n0);

            progress.step(key + ": waiting for every accepted event in ClickHouse");
            long total = accepted.get();
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            long rows;
            while ((rows = count(counter, "count()")) < total && System.nanoTime() < deadline) {
                Window.sleep(200_000_000L);
            }
            long distinct = count(counter, "uniqExact(event_id)");
            if (rows != total || distinct != total) {
                throw new IllegalStateException(key + ": exactly-once check failed: " + total + " accepted, " + rows
                        + " rows (" + distinct + " distinct ids) in llm_usage");
            }
            result.note(key + ": exactly once: " + total + " accepted = " + rows + " rows = " + distinct
                    + " distinct ids in llm_usage");
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("path", path);
            d.put("content_type", contentType);
            d.put("clients", CLIENTS);
            d.put("per_request", SPANS_PER_REQUEST);
            d.put("warmup_s", warmup.toSeconds());
            d.put("window_s", Latencies.round(seconds));
            d.put("per_s", Math.round(perSecond));
            d.put("requests", requests.get());
            d.put("accepted", total);
            d.put("jvm_cores_busy", Latencies.round(cpu.javaCpuNanos() / (double) cpu.nanoTime()));
            d.put("postgres_cores_busy", cpu.postgresCpuNanos() < 0 ? null
                    : Latencies.round(cpu.postgresCpuNanos() / (double) cpu.nanoTime()));
            d.put("cpu_us_per_item", cpuMicros == null ? null : Latencies.round(cpuMicros));
            result.detail(key, d);
            return new Phase(perSecond, cpuMicros);
        }
    }

    private static long count(ClickHouse ch, String what) {
        return ch.query("SELECT " + what + " AS n FROM llm_usage").getFirst().int64("n");
    }

    /** A request body made once, whose ids are rewritten in place for each request: every request is new events. */
    private static final class Body {
        private final byte[] template;
        private final int[] idOffsets;
        private final boolean protobuf;

        private Body(byte[] template, int[] idOffsets, boolean protobuf) {
            this.template = template;
            this.idOffsets = idOffsets;
            this.protobuf = protobuf;
        }

        /** The events as one OTLP request of model-call spans with the GenAI attributes an instrumentation sets. */
        static Body otlp(List<UsageEvent> events) {
            SplittableRandom random = new SplittableRandom(31);
            ScopeSpans.Builder scope = ScopeSpans.newBuilder().setScope(InstrumentationScope.newBuilder()
                    .setName("io.opentelemetry.openai-java").setVersion("2.31.1"));
            for (int i = 0; i < events.size(); i++) {
                UsageEvent e = events.get(i);
                byte[] trace = new byte[16];
                for (int b = 0; b < 16; b++) {
                    trace[b] = (byte) random.nextInt(256);
                }
                trace[0] |= 1;
                long end = e.eventTime().toEpochMilli() * 1_000_000L;
                Span.Builder s = Span.newBuilder().setTraceId(ByteString.copyFrom(trace))
                        .setSpanId(ByteString.copyFrom(marker(i))).setParentSpanId(ByteString.copyFrom(new byte[] {0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
                                (byte) (i >>> 8), (byte) i}))
                        .setName("chat " + e.model()).setKind(Span.SpanKind.SPAN_KIND_CLIENT)
                        .setStartTimeUnixNano(end - 1_800_000_000L).setEndTimeUnixNano(end)
                        .addAttributes(text("gen_ai.operation.name", "chat"))
                        .addAttributes(text("gen_ai.provider.name", GEN_AI_PROVIDER.getOrDefault(e.provider(), e.provider())))
                        .addAttributes(text("gen_ai.request.model", e.model()))
                        .addAttributes(text("gen_ai.response.id", e.messageId()))
                        .addAttributes(number("gen_ai.request.max_tokens", 4096))
                        .addAttributes(KeyValue.newBuilder().setKey("gen_ai.response.finish_reasons").setValue(AnyValue
                                .newBuilder().setArrayValue(ArrayValue.newBuilder().addValues(AnyValue.newBuilder()
                                        .setStringValue("stop")))))
                        .addAttributes(text("server.address", "api." + e.provider() + ".example"))
                        .addAttributes(number("gen_ai.usage.input_tokens", e.promptTokens()))
                        .addAttributes(number("gen_ai.usage.output_tokens", e.completionTokens()));
                if (e.cachedTokens() > 0) {
                    s.addAttributes(number("gen_ai.usage.cache_read.input_tokens", e.cachedTokens()));
                }
                if (e.cacheCreationTokens() > 0) {
                    s.addAttributes(number("gen_ai.usage.cache_creation.input_tokens", e.cacheCreationTokens()));
                }
                if (e.thoughtsTokens() > 0) {
                    s.addAttributes(number("gen_ai.usage.reasoning.output_tokens", e.thoughtsTokens()));
                }
                s.addAttributes(text("gen_ai.conversation.id", e.conversationId().toString()))
                        .addAttributes(text("gen_ai.agent.name", e.agentId()))
                        .addAttributes(text("openai.response.service_tier", e.serviceTier()))
                        .addAttributes(text("user.id", e.userId()))
                        .addAttributes(text("session.id", e.sessionId()))
                        .addAttributes(text("tokenledger.workspace_id", e.workspaceId()));
                scope.addSpans(s);
            }
            byte[] bytes = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
                    .setResource(Resource.newBuilder().addAttributes(text("service.name", "bench-app"))
                            .addAttributes(text("telemetry.sdk.language", "java")))
                    .addScopeSpans(scope)).build().toByteArray();
            return new Body(bytes, offsets(bytes, Arrays.copyOf(marker(0), 5), 3, false, events.size()), true);
        }

        /** The same events as a POST /v1/usage array, with the fields the spans carry. */
        static Body usage(List<UsageEvent> events) throws Exception {
            ArrayNode array = JSON.createArrayNode();
            for (int i = 0; i < events.size(); i++) {
                UsageEvent e = events.get(i);
                ObjectNode o = array.addObject();
                o.put("event_id", placeholderUuid(i));
                o.put("event_time", e.eventTime().toString());
                o.put("user_id", e.userId());
                o.put("workspace_id", e.workspaceId());
                o.put("conversation_id", e.conversationId().toString());
                o.put("message_id", e.messageId());
                o.put("agent_id", e.agentId());
                o.put("model", e.model());
                o.put("provider", e.provider());
                o.put("prompt_tokens", e.promptTokens());
                o.put("completion_tokens", e.completionTokens());
                o.put("cached_tokens", e.cachedTokens());
                o.put("cache_creation_tokens", e.cacheCreationTokens());
                o.put("thoughts_tokens", e.thoughtsTokens());
                o.put("session_id", e.sessionId());
                o.put("service_tier", e.serviceTier());
            }
            byte[] bytes = JSON.writeValueAsBytes(array);
            byte[] prefix = placeholderUuid(0).substring(0, 24).getBytes(StandardCharsets.US_ASCII);
            return new Body(bytes, offsets(bytes, prefix, 12, true, events.size()), false);
        }

        /** The template with ids no other request of this run has: (client, request number, position) in each. */
        byte[] next(int client, long seq) {
            byte[] b = template.clone();
            for (int i = 0; i < idOffsets.length; i++) {
                long id = ((long) (client + 1) << 56) | ((seq & 0xFF_FFFF_FFFFL) << 16) | i;
                int at = idOffsets[i];
                if (protobuf) {
                    for (int k = 7; k >= 0; k--) {
                        b[at + k] = (byte) id;
                        id >>>= 8;
                    }
                } else {
                    // The last 16 hex digits of the UUID text "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx": 4 + 12.
                    String hex = String.format("%016x", id);
                    for (int k = 0; k < 4; k++) {
                        b[at + 19 + k] = (byte) hex.charAt(k);
                    }
                    for (int k = 0; k < 12; k++) {
                        b[at + 24 + k] = (byte) hex.charAt(4 + k);
                    }
                }
            }
            return b;
        }

        /** Null when the answer says every event was accepted, else what went wrong. */
        String problem(int status, byte[] answer) throws Exception {
            if (protobuf) {
                if (status != 200) {
                    return "status " + status;
                }
                ExportTraceServiceResponse r = ExportTraceServiceResponse.parseFrom(answer);
                return r.getPartialSuccess().getRejectedSpans() == 0 ? null
                        : r.getPartialSuccess().getErrorMessage();
            }
            return status == 202 ? null : "status " + status + ": " + new String(answer, 0, Math.min(answer.length, 300),
                    StandardCharsets.UTF_8);
        }

        private static byte[] marker(int i) {
            return new byte[] {(byte) 0xA5, 0x5A, (byte) 0xC3, 0x3C, (byte) 0x96, (byte) (i >>> 16), (byte) (i >>> 8),
                    (byte) i};
        }

        private static String placeholderUuid(int i) {
            return String.format("5a5ac33c-9669-4a5a-8000-%012x", i);
        }

        /**
         * Where each id placeholder starts: one pass for {@code prefix}, the position read from the {@code digits}
         * after it (bytes of a protobuf id, hex digits of a UUID's text).
         */
        private static int[] offsets(byte[] body, byte[] prefix, int digits, boolean hex, int count) {
            int[] at = new int[count];
            Arrays.fill(at, -1);
            outer:
            for (int i = 0; i + prefix.length + digits <= body.length; i++) {
                for (int k = 0; k < prefix.length; k++) {
                    if (body[i + k] != prefix[k]) {
                        continue outer;
                    }
                }
                long position = 0;
                for (int k = 0; k < digits; k++) {
                    byte b = body[i + prefix.length + k];
                    position = hex ? position << 4 | Character.digit(b, 16) : position << 8 | (b & 0xFF);
                }
                if (position < 0 || position >= count || at[(int) position] >= 0) {
                    throw new IllegalStateException("an id placeholder is not unique in the template");
                }
                at[(int) position] = i;
            }
            for (int a : at) {
                if (a < 0) {
                    throw new IllegalStateException("an id placeholder is missing from the template");
                }
            }
            return at;
        }

        private static KeyValue text(String key, String value) {
            return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
        }

        private static KeyValue number(String key, long value) {
            return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setIntValue(value)).build();
        }
    }
}
