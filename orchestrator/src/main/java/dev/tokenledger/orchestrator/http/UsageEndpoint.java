package dev.tokenledger.orchestrator.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenledger.orchestrator.keys.Principal;
import dev.tokenledger.usage.FieldError;
import dev.tokenledger.usage.RecordResult;
import dev.tokenledger.usage.UsageEvent;
import dev.tokenledger.usage.UsageRecorder;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /v1/usage}: reads each event on its own, records the good ones (durable in PostgreSQL
 * before the answer is sent), and answers with one result per event.
 */
final class UsageEndpoint {
    private final UsageRecorder recorder;
    private final LedgerMetrics metrics;
    private final long maxBodyBytes;

    UsageEndpoint(UsageRecorder recorder, LedgerMetrics metrics, long maxBodyBytes) {
        this.recorder = recorder;
        this.metrics = metrics;
        this.maxBodyBytes = maxBodyBytes;
    }

    void handle(Context ctx) {
        List<JsonNode> elements = UsageBody.elements(body(ctx), ApiJson.MAPPER);
        Principal principal = ApiKeys.principal(ctx);
        List<UsageEventReader.Read> reads = elements.stream().map(UsageEventReader::read)
                .map(r -> writable(r, principal)).toList();
        List<UsageEvent> good = new ArrayList<>(reads.size());
        reads.forEach(r -> {
            if (r.event() != null) {
                good.add(r.event());
            }
        });
        List<RecordResult> recorded = good.isEmpty() ? List.of() : metrics.recordOverHttp(() -> recorder.record(good));

        List<RecordResult> results = new ArrayList<>(reads.size());
        int next = 0;
        for (UsageEventReader.Read r : reads) {
            results.add(r.event() != null ? recorded.get(next++) : RecordResult.rejected(r.eventId(), r.errors()));
        }
        metrics.countHttp(results);
        UsageResponse response = UsageResponse.of(results);
        boolean forbidden = response.accepted() + response.duplicate() == 0
                && reads.stream().anyMatch(r -> r.errors().stream().anyMatch(e -> e.problem().startsWith(
                        ApiKeys.MAY_NOT_WRITE)));
        ctx.status(forbidden ? 403 : response.status()).json(response);
    }

    /**
     * An event for a workspace the key may not write is refused alone, naming the workspace; the rest of the body is
     * handled as usual (a body refused whole for it is a 403).
     */
    private static UsageEventReader.Read writable(UsageEventReader.Read read, Principal principal) {
        UsageEvent e = read.event();
        return e == null ? read : ApiKeys.writeRefusal(principal, e.workspaceId())
                .map(why -> new UsageEventReader.Read(null, e.eventId(), List.of(new FieldError("workspace_id", why))))
                .orElse(read);
    }

    private byte[] body(Context ctx) {
        if (ctx.contentLength() > maxBodyBytes) {
            throw tooLarge();
        }
        try {
            return ctx.bodyAsBytes();
        } catch (HttpResponseException e) {
            // Javalin stops reading at the limit (a chunked body has no Content-Length to check first).
            if (e.getStatus() == 413) {
                throw tooLarge();
            }
            throw e;
        }
    }

    private ApiException tooLarge() {
        return ApiException.tooLarge("the body is larger than " + maxBodyBytes
                + " bytes (TOKENLEDGER_MAX_BODY_BYTES): send fewer events per request");
    }
}
