package dev.tokenledger.orchestrator.http;

import com.google.protobuf.util.JsonFormat;
import dev.tokenledger.usage.FieldError;
import dev.tokenledger.usage.RecordFailedException;
import dev.tokenledger.usage.RecordResult;
import dev.tokenledger.usage.UsageEvent;
import dev.tokenledger.usage.UsageRecorder;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * {@code POST /v1/traces}, an OTLP/HTTP trace receiver: the model-call spans of an app instrumented with the
 * OpenTelemetry GenAI conventions become usage events ({@link OtlpSpanMapper}), recorded through the same
 * {@link UsageRecorder} as {@code POST /v1/usage} and durable before the 200. Every refused span is counted in
 * the answer's {@code partial_success}; spans that are not model calls are left out silently, as a trace
 * receiver that keeps only what it needs should.
 */
final class TracesEndpoint {
    /** How many refusals the answer's error_message spells out; the count covers them all. */
    static final int REASONS_SHOWN = 5;

    private final UsageRecorder recorder;
    private final LedgerMetrics metrics;
    private final long maxBodyBytes;
    private final Function<Context, Optional<String>> requestWorkspace;
    private final BiFunction<Context, UsageEvent, Optional<String>> refusal;

    /**
     * @param requestWorkspace the workspace of a span whose attributes name none (the request's own, e.g. its API
     *                         key's); empty: such spans are refused
     * @param refusal          the one check every mapped event passes before it is recorded: a reason refuses it
     *                         (reported in partial_success), empty lets it through
     */
    TracesEndpoint(UsageRecorder recorder, LedgerMetrics metrics, long maxBodyBytes,
                   Function<Context, Optional<String>> requestWorkspace,
                   BiFunction<Context, UsageEvent, Optional<String>> refusal) {
        this.recorder = recorder;
        this.metrics = metrics;
        this.maxBodyBytes = maxBodyBytes;
        this.requestWorkspace = requestWorkspace;
        this.refusal = refusal;
    }

    void handle(Context ctx) {
        OtlpEncoding encoding = OtlpEncoding.of(ctx.contentType());
        if (encoding == null) {
            throw OtlpException.unsupportedMediaType("Content-Type must be application/x-protobuf or application/json"
                    + " (OTLP/HTTP), got " + (ctx.contentType() == null ? "none"
                    : "'" + EventFields.abbreviate(ctx.contentType()) + "'"), null);
        }
        byte[] body = body(ctx, encoding);
        ExportTraceServiceRequest request = OtlpTraceBody.decode(body, encoding);

        String workspace = requestWorkspace.apply(ctx).orElse(null);
        List<UsageEvent> good = new ArrayList<>();
        List<RecordResult> refused = new ArrayList<>();
        List<String> reasons = new ArrayList<>(REASONS_SHOWN);
        for (ResourceSpans rs : request.getResourceSpansList()) {
            AnyValue[] resource = OtlpSpanMapper.attributes(rs.getResource().getAttributesList());
            for (ScopeSpans ss : rs.getScopeSpansList()) {
                for (Span span : ss.getSpansList()) {
                    OtlpSpanMapper.Outcome o = OtlpSpanMapper.map(span, resource, workspace);
                    String reason = switch (o.kind()) {
                        case COUNTED -> refusal.apply(ctx, o.event()).orElse(null);
                        case REFUSED -> o.reason();
                        case SKIPPED, IGNORED -> null; // not model calls: neither counted nor refused
                    };
                    if (reason != null) {
                        refused.add(RecordResult.rejected(o.eventId(), List.of(new FieldError("span", reason))));
                        note(reasons, span, reason);
                    } else if (o.kind() == OtlpSpanMapper.Kind.COUNTED) {
                        good.add(o.event());
                    }
                }
            }
        }

        List<RecordResult> recorded;
        try {
            recorded = good.isEmpty() ? List.of() : metrics.recordOverHttp(() -> recorder.record(good));
        } catch (RecordFailedException e) {
            throw OtlpException.unavailable("the spans could not be made durable: " + e.getMessage()
                    + "; retry (the same spans are recorded once)", encoding, HttpApi.RETRY_AFTER_SECONDS);
        }
        List<RecordResult> results = new ArrayList<>(recorded.size() + refused.size());
        results.addAll(recorded);
        results.addAll(refused);
        long rejected = refused.size();
        for (RecordResult r : recorded) {
            if (r.status() == RecordResult.Status.REJECTED) {
                // The recorder's own bounds (an end time too far in the future or past the retention).
                rejected++;
                note(reasons, null, "event " + r.eventId() + ": " + String.join("; ",
                        r.errors().stream().map(e -> e.field() + " " + e.problem()).toList()));
            }
        }
        metrics.countHttp(results);

        ExportTraceServiceResponse.Builder response = ExportTraceServiceResponse.newBuilder();
        if (rejected > 0) {
            String message = rejected + " span" + (rejected == 1 ? "" : "s") + " refused: " + String.join(" | ", reasons)
                    + (rejected > reasons.size() ? " | ..." : "");
            response.setPartialSuccess(ExportTracePartialSuccess.newBuilder().setRejectedSpans(rejected)
                    .setErrorMessage(message));
        }
        ctx.status(200).contentType(encoding.mediaType).result(encode(response.build(), encoding));
    }

    private static void note(List<String> reasons, Span span, String reason) {
        if (reasons.size() < REASONS_SHOWN) {
            reasons.add(span == null ? reason : "span " + OtlpSpanMapper.spanRef(span) + ": " + reason);
        }
    }

    static byte[] encode(ExportTraceServiceResponse response, OtlpEncoding encoding) {
        if (encoding == OtlpEncoding.PROTOBUF) {
            return response.toByteArray();
        }
        try {
            return JsonFormat.printer().omittingInsignificantWhitespace().print(response).getBytes(StandardCharsets.UTF_8);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException("an ExportTraceServiceResponse always prints as JSON", e);
        }
    }

    /** The body as sent, then without its gzip; both within TOKENLEDGER_MAX_BODY_BYTES. */
    private byte[] body(Context ctx, OtlpEncoding encoding) {
        if (ctx.contentLength() > maxBodyBytes) {
            throw tooLarge(encoding);
        }
        byte[] raw;
        try {
            raw = ctx.bodyAsBytes();
        } catch (HttpResponseException e) {
            // Javalin stops reading at the limit (a chunked body has no Content-Length to check first).
            if (e.getStatus() == 413) {
                throw tooLarge(encoding);
            }
            throw e;
        }
        String contentEncoding = ctx.header("Content-Encoding");
        if (contentEncoding == null || contentEncoding.isBlank()
                || contentEncoding.strip().equalsIgnoreCase("identity")) {
            return raw;
        }
        if (contentEncoding.strip().toLowerCase(Locale.ROOT).equals("gzip")) {
            return OtlpTraceBody.gunzip(raw, maxBodyBytes, encoding);
        }
        throw OtlpException.unsupportedMediaType("Content-Encoding must be gzip or none, got '"
                + EventFields.abbreviate(contentEncoding) + "'", encoding);
    }

    private OtlpException tooLarge(OtlpEncoding encoding) {
        return OtlpException.tooLarge("the body is larger than " + maxBodyBytes
                + " bytes (TOKENLEDGER_MAX_BODY_BYTES): send fewer spans per request", encoding);
    }
}
