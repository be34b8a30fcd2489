package dev.tokenledger.orchestrator.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The body of {@code POST /v1/traces} as an {@link ExportTraceServiceRequest}: gzip undone (within the body
 * limit, so a small compressed body cannot inflate into gigabytes), then binary protobuf or OTLP/JSON read
 * with the protobuf classes OpenTelemetry publishes.
 *
 * <p>OTLP/JSON is the protobuf JSON mapping with one exception that {@link JsonFormat} does not know: trace and
 * span ids are hex strings, not base64 (other {@code bytes} fields, such as an attribute's {@code bytesValue},
 * stay base64). The ids are turned into base64 in the JSON tree before {@code JsonFormat} reads it. Unknown
 * fields are ignored, as the specification requires of receivers; int64 values are read from numbers or
 * strings and enums from integers or names, which {@code JsonFormat} does by itself.
 */
final class OtlpTraceBody {
    private static final JsonFormat.Parser JSON = JsonFormat.parser().ignoringUnknownFields();
    private static final HexFormat HEX = HexFormat.of();

    private OtlpTraceBody() {
    }

    static ExportTraceServiceRequest decode(byte[] body, OtlpEncoding encoding) {
        if (encoding == OtlpEncoding.PROTOBUF) {
            try {
                return ExportTraceServiceRequest.parseFrom(body);
            } catch (InvalidProtocolBufferException e) {
                throw OtlpException.badRequest("the body is not a protobuf ExportTraceServiceRequest: "
                        + e.getMessage(), encoding);
            }
        }
        JsonNode root;
        try {
            root = ApiJson.MAPPER.readTree(body);
        } catch (JacksonException e) {
            throw OtlpException.badRequest("the body is not valid JSON: " + e.getOriginalMessage(), encoding);
        } catch (IOException e) {
            throw OtlpException.badRequest("the body could not be read: " + e.getMessage(), encoding);
        }
        if (root == null || !root.isObject()) {
            throw OtlpException.badRequest("the body must be an OTLP/JSON ExportTraceServiceRequest object, got "
                    + (root == null || root.isMissingNode() ? "nothing" : EventFields.describe(root)), encoding);
        }
        hexIdsToBase64((ObjectNode) root, encoding);
        ExportTraceServiceRequest.Builder request = ExportTraceServiceRequest.newBuilder();
        try {
            JSON.merge(root.toString(), request);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            // JsonFormat reports a wrong type as InvalidProtocolBufferException and some malformed values (a number
            // out of range inside a nested message, deep nesting) as unchecked exceptions: the body is bad either way.
            throw OtlpException.badRequest("the body is not an OTLP/JSON ExportTraceServiceRequest: "
                    + EventFields.abbreviate(String.valueOf(e.getMessage())), encoding);
        }
        return request.build();
    }

    /** The body without its gzip, refused with 413 once it inflates past {@code maxBytes}. */
    static byte[] gunzip(byte[] body, long maxBytes, OtlpEncoding encoding) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body), 8192)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(32, body.length * 4));
            byte[] buffer = new byte[16384];
            long total = 0;
            for (int n; (n = in.read(buffer)) > 0; ) {
                total += n;
                if (total > maxBytes) {
                    throw OtlpException.tooLarge("the body inflates to more than " + maxBytes
                            + " bytes (TOKENLEDGER_MAX_BODY_BYTES): send fewer spans per request", encoding);
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        } catch (ZipException | java.io.EOFException e) {
            throw OtlpException.badRequest("the body is not valid gzip (Content-Encoding: gzip): " + e.getMessage(),
                    encoding);
        } catch (IOException e) {
            throw OtlpException.badRequest("the gzip body could not be read: " + e.getMessage(), encoding);
        }
    }

    /**
     * Rewrites {@code resourceSpans[].scopeSpans[].spans[].traceId/spanId/parentSpanId} and the ids of each
     * span's {@code links[]} from hex to base64, under either the lowerCamelCase or the original field names
     * (receivers must accept both). Anything not where a span is expected is left for JsonFormat to judge.
     */
    private static void hexIdsToBase64(ObjectNode root, OtlpEncoding encoding) {
        ArrayNode resourceSpans = array(root, "resourceSpans", "resource_spans");
        for (int r = 0; resourceSpans != null && r < resourceSpans.size(); r++) {
            ArrayNode scopeSpans = resourceSpans.get(r) instanceof ObjectNode rs ? array(rs, "scopeSpans", "scope_spans") : null;
            for (int s = 0; scopeSpans != null && s < scopeSpans.size(); s++) {
                ArrayNode spans = scopeSpans.get(s) instanceof ObjectNode ss ? array(ss, "spans", "spans") : null;
                for (int i = 0; spans != null && i < spans.size(); i++) {
                    if (!(spans.get(i) instanceof ObjectNode span)) {
                        continue;
                    }
                    String at = "resourceSpans[" + r + "].scopeSpans[" + s + "].spans[" + i + "]";
                    convert(span, at, encoding, "traceId", "trace_id");
                    convert(span, at, encoding, "spanId", "span_id");
                    convert(span, at, encoding, "parentSpanId", "parent_span_id");
                    ArrayNode links = array(span, "links", "links");
                    for (int l = 0; links != null && l < links.size(); l++) {
                        if (links.get(l) instanceof ObjectNode link) {
                            convert(link, at + ".links[" + l + "]", encoding, "traceId", "trace_id");
                            convert(link, at + ".links[" + l + "]", encoding, "spanId", "span_id");
                        }
                    }
                }
            }
        }
    }

    private static ArrayNode array(ObjectNode o, String camel, String snake) {
        JsonNode v = o.get(camel);
        if (v == null) {
            v = o.get(snake);
        }
        return v instanceof ArrayNode a ? a : null;
    }

    private static void convert(ObjectNode o, String at, OtlpEncoding encoding, String camel, String snake) {
        for (String name : new String[] {camel, snake}) {
            JsonNode v = o.get(name);
            if (v == null || !v.isTextual()) {
                continue; // absent, or a wrong type JsonFormat will name
            }
            String hex = v.textValue();
            byte[] id;
            try {
                id = HEX.parseHex(hex);
            } catch (IllegalArgumentException e) {
                throw OtlpException.badRequest(at + "." + camel + " must be hex digits (OTLP/JSON ids are hex, not base64),"
                        + " got '" + EventFields.abbreviate(hex) + "'", encoding);
            }
            o.put(name, Base64.getEncoder().encodeToString(id));
        }
    }
}
