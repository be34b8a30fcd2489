package dev.tokenledger.orchestrator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.pricing.PricedCost;
import dev.tokenledger.pricing.ServiceTier;
import dev.tokenledger.pricing.TokenUsage;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.internal.HttpExporter;
import io.opentelemetry.exporter.otlp.internal.HttpExporterBuilder;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.internal.StandardComponentId;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An app instrumented with the real OpenTelemetry Java SDK, exporting GenAI spans over OTLP/HTTP to a running
 * tokenledger, in both encodings (binary protobuf through the SDK's public OtlpHttpSpanExporter; OTLP/JSON through
 * the SDK's own HTTP exporter and JSON marshaler, which its public builder does not expose in 1.68), both gzipped:
 * each model call lands in ClickHouse exactly once, priced exactly as the price book prices the same tokens; the
 * agent span's aggregated usage, the tool span and a span without usage add nothing; exporting it all again adds
 * nothing.
 */
class OtelSdkExportTest {
    private static final String KEY = "otel-key-" + UUID.randomUUID();
    private static RunningApi running;

    @BeforeAll
    static void start() {
        running = RunningApi.start("otel_sdk", KEY, Map.of());
    }

    @AfterAll
    static void stop() {
        if (running != null) {
            running.close();
        }
    }

    /** Keeps what the SDK ends, so the test can export the same spans as often as it likes. */
    private static final class Collected implements SpanExporter {
        final List<SpanData> spans = Collections.synchronizedList(new ArrayList<>());

        @Override
        public CompletableResultCode export(Collection<SpanData> batch) {
            spans.addAll(batch);
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }

    @Test
    void modelCallsExportedByTheSdkAreInClickHouseOnceWithExactCostAndAReExportAddsNothing() throws SQLException {
        String ws = "ws-" + UUID.randomUUID().toString().substring(0, 8);
        Collected collected = new Collected();
        Map<String, SpanData> byName = new HashMap<>();
        try (SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "support-bot",
                        AttributeKey.stringKey(OtlpSpanMapper.WORKSPACE_ATTRIBUTE), ws)))
                .addSpanProcessor(SimpleSpanProcessor.create(collected)).build()) {
            Tracer tracer = provider.get("tokenledger-test");
            Span agent = tracer.spanBuilder("invoke_agent planner").setAttribute("gen_ai.operation.name", "invoke_agent")
                    .setAttribute("gen_ai.agent.name", "planner")
                    // What agent frameworks put on the agent span: the sum of its model calls. Counting it would
                    // count them twice.
                    .setAttribute("gen_ai.usage.input_tokens", 10_812L).setAttribute("gen_ai.usage.output_tokens", 2_300L)
                    .startSpan();
            Scope underTheAgent = agent.makeCurrent(); // the model calls below are the agent's children
            try {
                modelCall(tracer, "chat gpt-4o", "chat", "openai", "gpt-4o", Map.of("gen_ai.usage.input_tokens", 5_000L,
                        "gen_ai.usage.cache_read.input_tokens", 1_000L, "gen_ai.usage.output_tokens", 1_200L))
                        .setAttribute("gen_ai.response.model", "gpt-4o-2024-08-06")
                        .setAttribute("openai.response.service_tier", "default").end();
                modelCall(tracer, "chat claude-sonnet-4-5", "chat", "anthropic", "claude-sonnet-4-5", Map.of(
                        "gen_ai.usage.input_tokens", 5_000L, "gen_ai.usage.cache_read.input_tokens", 3_000L,
                        "gen_ai.usage.cache_creation.input_tokens", 1_000L, "gen_ai.usage.output_tokens", 800L))
                        .setAttribute("gen_ai.conversation.id", "conv_5j66UpCpwteGg4YSxUnt7lPY").end();
                modelCall(tracer, "embeddings text-embedding-3-small", "embeddings", "openai", "text-embedding-3-small",
                        Map.of("gen_ai.usage.input_tokens", 812L)).end();
                modelCall(tracer, "chat acme-llm", "chat", "acme", "acme-internal-llm-v9", Map.of(
                        "gen_ai.usage.input_tokens", 100L, "gen_ai.usage.output_tokens", 10L)).end();
                tracer.spanBuilder("execute_tool lookup_order").setAttribute("gen_ai.operation.name", "execute_tool")
                        .setAttribute("gen_ai.tool.name", "lookup_order").startSpan().end();
                tracer.spanBuilder("GET /orders/17").setSpanKind(SpanKind.CLIENT)
                        .setAttribute("http.request.method", "GET").startSpan().end();
            } finally {
                underTheAgent.close();
                agent.end();
            }
        }
        collected.spans.forEach(s -> byName.put(s.getName(), s));
        assertThat(byName).hasSize(7);
        List<SpanData> asProtobuf = List.of(byName.get("chat gpt-4o"), byName.get("embeddings text-embedding-3-small"),
                byName.get("invoke_agent planner"), byName.get("execute_tool lookup_order"));
        List<SpanData> asJson = List.of(byName.get("chat claude-sonnet-4-5"), byName.get("chat acme-llm"),
                byName.get("GET /orders/17"));
        List<SpanData> counted = List.of(byName.get("chat gpt-4o"), byName.get("embeddings text-embedding-3-small"),
                byName.get("chat claude-sonnet-4-5"), byName.get("chat acme-llm"));

        String endpoint = running.api.url() + "/v1/traces";
        try (OtlpHttpSpanExporter protobuf = OtlpHttpSpanExporter.builder().setEndpoint(endpoint)
                .setCompression("gzip").addHeader("Authorization", "Bearer " + KEY).build()) {
            HttpExporter json = new HttpExporterBuilder(StandardComponentId.ExporterType.OTLP_HTTP_JSON_SPAN_EXPORTER,
                    endpoint).exportAsJson().setCompression("gzip").addConstantHeaders("Authorization", "Bearer " + KEY)
                    .build();
            try {
                assertThat(protobuf.export(asProtobuf).join(30, TimeUnit.SECONDS).isSuccess()).isTrue();
                assertThat(json.export(TraceRequestMarshaler.create(asJson), asJson.size()).join(30, TimeUnit.SECONDS)
                        .isSuccess()).isTrue();

                List<Row> rows = HttpApiTest.await(() -> rows(ws), r -> r.size() >= counted.size());
                assertThat(rows).hasSize(counted.size());
                for (SpanData span : counted) {
                    Row row = rows.stream().filter(r -> r.string("id").equals(eventId(span).toString())).findFirst()
                            .orElseThrow(() -> new AssertionError("no row for " + span.getName()));
                    assertExactCost(span, row);
                }
                assertThat(find(rows, byName.get("chat claude-sonnet-4-5")).string("conversation_id"))
                        .isEqualTo(OtlpSpanMapper.conversationId("conv_5j66UpCpwteGg4YSxUnt7lPY").toString());
                assertThat(find(rows, byName.get("chat acme-llm")).isNull("cost_usd")).as("unknown model: unpriced")
                        .isTrue();

                // The exporter's retry after a lost answer, or an operator replaying a batch: the same spans again.
                assertThat(protobuf.export(asProtobuf).join(30, TimeUnit.SECONDS).isSuccess()).isTrue();
                assertThat(json.export(TraceRequestMarshaler.create(asJson), asJson.size()).join(30, TimeUnit.SECONDS)
                        .isSuccess()).isTrue();
                assertThat(pendingOrStored(ws)).as("usage_event rows of the workspace").isEqualTo(counted.size());
                // Nothing is pending, so nothing more can reach ClickHouse: the count there is final.
                HttpApiTest.await(() -> HttpApiTest.value(running.client.get("/metrics").body(),
                        "tokenledger_backlog_events"), pending -> pending == 0);
                assertThat(rows(ws)).hasSize(counted.size());
            } finally {
                json.shutdown().join(10, TimeUnit.SECONDS);
            }
        }
    }

    private static Span modelCall(Tracer tracer, String name, String operation, String provider, String model,
                                  Map<String, Long> usage) {
        var b = tracer.spanBuilder(name).setSpanKind(SpanKind.CLIENT).setAttribute("gen_ai.operation.name", operation)
                .setAttribute("gen_ai.provider.name", provider).setAttribute("gen_ai.request.model", model)
                .setAttribute("user.id", "u-17").setAttribute("session.id", "s-9");
        usage.forEach(b::setAttribute);
        return b.startSpan();
    }

    /** The written cost equals what the price book gives for the same tokens at the same time, to the last digit. */
    private static void assertExactCost(SpanData span, Row row) {
        var a = span.getAttributes();
        long input = a.get(AttributeKey.longKey("gen_ai.usage.input_tokens"));
        Long output = a.get(AttributeKey.longKey("gen_ai.usage.output_tokens"));
        Long cacheRead = a.get(AttributeKey.longKey("gen_ai.usage.cache_read.input_tokens"));
        Long cacheWrite = a.get(AttributeKey.longKey("gen_ai.usage.cache_creation.input_tokens"));
        assertThat(row.int64("prompt_tokens")).isEqualTo(input);
        assertThat(row.int64("completion_tokens")).isEqualTo(output == null ? 0 : output);
        assertThat(row.int64("cached_tokens")).isEqualTo(cacheRead == null ? 0 : cacheRead);
        assertThat(row.int64("cache_creation_tokens")).isEqualTo(cacheWrite == null ? 0 : cacheWrite);
        assertThat(row.instant("event_time").toEpochMilli()).isEqualTo(span.getEndEpochNanos() / 1_000_000);
        PricedCost expected = running.ledger.pricing().priceEvent(row.string("model"), row.string("provider"),
                span.getEndEpochNanos() / 1_000_000, new TokenUsage(input, output == null ? 0 : output,
                        cacheRead == null ? 0 : cacheRead, cacheWrite == null ? 0 : cacheWrite, 0, 0, 0, 0, 0,
                        ServiceTier.STANDARD));
        assertThat(expected.isPriced()).as("%s is in the bundled price book", span.getName())
                .isEqualTo(!row.string("model").startsWith("acme"));
        if (!expected.isPriced()) {
            assertThat(row.isNull("cost_usd")).as(span.getName()).isTrue();
            return;
        }
        // ClickHouse's text drops trailing zeros (0.02325); at the column's scale it must be the same number exactly.
        BigDecimal written = row.decimal("cost_usd").setScale(expected.total().scale());
        assertThat(written).as(span.getName()).isPositive().isEqualTo(expected.total());
    }

    private static Row find(List<Row> rows, SpanData span) {
        return rows.stream().filter(r -> r.string("id").equals(eventId(span).toString())).findFirst().orElseThrow();
    }

    private static UUID eventId(SpanData span) {
        byte[] name = new byte[24];
        System.arraycopy(span.getSpanContext().getTraceIdBytes(), 0, name, 0, 16);
        System.arraycopy(span.getSpanContext().getSpanIdBytes(), 0, name, 16, 8);
        return UUID.nameUUIDFromBytes(name);
    }

    private static List<Row> rows(String ws) {
        return running.clickHouse.query("SELECT toString(event_id) AS id, model, provider, prompt_tokens,"
                + " completion_tokens, cached_tokens, cache_creation_tokens, event_time, cost_usd,"
                + " toString(conversation_id) AS conversation_id FROM llm_usage WHERE workspace_id = {ws:String}",
                Map.of("ws", ws));
    }

    private static int pendingOrStored(String ws) throws SQLException {
        try (Connection c = running.postgres.dataSource().getConnection();
             PreparedStatement st = c.prepareStatement("SELECT count(*) FROM usage_event WHERE workspace_id = ?")) {
            st.setString(1, ws);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
