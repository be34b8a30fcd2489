package dev.tokenledger.orchestrator.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.google.protobuf.CodedInputStream;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.GZIPOutputStream;

/** OTLP spans as GenAI instrumentations send them, built with the official protobuf classes, and ways to post them. */
final class OtlpSpans {
    private OtlpSpans() {
    }

    static KeyValue text(String key, String value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
    }

    static KeyValue number(String key, long value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setIntValue(value)).build();
    }

    /** A span with fresh random ids that ended a minute ago, with {@code attributes}. */
    static Span.Builder span(String name, KeyValue... attributes) {
        byte[] trace = new byte[16];
        byte[] span = new byte[8];
        ThreadLocalRandom.current().nextBytes(trace);
        ThreadLocalRandom.current().nextBytes(span);
        trace[0] |= 1; // never all zero
        span[0] |= 1;
        long end = Instant.now().minusSeconds(60).toEpochMilli() * 1_000_000L;
        return Span.newBuilder().setTraceId(ByteString.copyFrom(trace)).setSpanId(ByteString.copyFrom(span))
                .setName(name).setKind(Span.SpanKind.SPAN_KIND_CLIENT)
                .setStartTimeUnixNano(end - 1_500_000_000L).setEndTimeUnixNano(end)
                .addAllAttributes(List.of(attributes));
    }

    /** An OpenAI chat call by user u-17: {@code input} tokens of which {@code cached} were cache reads, {@code output} out. */
    static Span.Builder chat(String model, long input, long cached, long output) {
        return span("chat " + model, text("gen_ai.operation.name", "chat"), text("gen_ai.provider.name", "openai"),
                text("gen_ai.request.model", model), number("gen_ai.usage.input_tokens", input),
                number("gen_ai.usage.cache_read.input_tokens", cached), number("gen_ai.usage.output_tokens", output),
                text("user.id", "u-17"));
    }

    /** One resource (service support-bot, in {@code workspace} unless null) holding {@code spans}. */
    static ExportTraceServiceRequest request(String workspace, Span... spans) {
        Resource.Builder resource = Resource.newBuilder().addAttributes(text("service.name", "support-bot"));
        if (workspace != null) {
            resource.addAttributes(text(OtlpSpanMapper.WORKSPACE_ATTRIBUTE, workspace));
        }
        return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder().setResource(resource)
                .addScopeSpans(ScopeSpans.newBuilder().addAllSpans(List.of(spans)))).build();
    }

    static UUID eventId(Span span) {
        return OtlpSpanMapper.eventId(span);
    }

    /** OTLP/JSON: the protobuf JSON mapping with trace and span ids in hex, as OTLP/JSON requires. */
    static String json(ExportTraceServiceRequest request) {
        try {
            ObjectNode root = (ObjectNode) ApiClient.JSON.readTree(JsonFormat.printer().print(request));
            for (JsonNode rs : root.path("resourceSpans")) {
                for (JsonNode ss : rs.path("scopeSpans")) {
                    for (JsonNode span : ss.path("spans")) {
                        for (String id : new String[] {"traceId", "spanId", "parentSpanId"}) {
                            if (span.hasNonNull(id)) {
                                ((ObjectNode) span).put(id, HexFormat.of().formatHex(
                                        Base64.getDecoder().decode(span.get(id).asText())));
                            }
                        }
                    }
                }
            }
            return root.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static ApiClient.Bytes postProtobuf(ApiClient client, byte[] body) {
        return client.sendForBytes(client.request("/v1/traces").header("Content-Type", "application/x-protobuf")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    static ApiClient.Reply postJson(ApiClient client, String body) {
        return client.send(client.request("/v1/traces").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** The ExportTraceServiceResponse of an answer to a protobuf request. */
    static ExportTraceServiceResponse response(ApiClient.Bytes reply) {
        try {
            return ExportTraceServiceResponse.parseFrom(reply.body());
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("not an ExportTraceServiceResponse (status " + reply.status() + ")", e);
        }
    }

    /** The google.rpc.Status of an error answer to a protobuf request: its message (field 2), read by hand. */
    static String statusMessage(ApiClient.Bytes reply) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(reply.body());
            String message = null;
            for (int tag; (tag = in.readTag()) != 0; ) {
                if (tag == ((2 << 3) | 2)) {
                    message = in.readStringRequireUtf8();
                } else {
                    in.skipField(tag);
                }
            }
            if (message == null) {
                throw new AssertionError("a google.rpc.Status without a message");
            }
            return message;
        } catch (IOException e) {
            throw new AssertionError("not a google.rpc.Status (status " + reply.status() + ")", e);
        }
    }
}
