package dev.tokenledger.orchestrator.http;

import dev.tokenledger.orchestrator.CostExplanationJson;
import dev.tokenledger.usage.Repricer;
import io.javalin.http.Context;
import java.util.UUID;

/**
 * {@code GET /v1/usage/{event_id}}: one written event's cost traced, the JSON {@code explain-cost --json} prints
 * (its written cost and price row, every adjustment with its run and reason, its current cost). A malformed id is
 * a 400, an id llm_usage does not hold a 404.
 */
final class UsageCostEndpoint {
    private final Repricer repricer;

    UsageCostEndpoint(Repricer repricer) {
        this.repricer = repricer;
    }

    void handle(Context ctx) {
        String value = ctx.pathParam("event_id");
        UUID eventId = EventFields.parseUuid(value);
        if (eventId == null) {
            throw ApiException.badParameter("event_id", "must be a UUID (8-4-4-4-12 hex digits), got '"
                    + EventFields.abbreviate(value) + "'");
        }
        // An event of a workspace the key may not read is answered as absent: its existence is not the key's business.
        CostExplanationJson found = repricer.explain(eventId)
                .filter(x -> ApiKeys.principal(ctx).mayTouch(String.valueOf(x.event().get("workspace_id"))))
                .map(CostExplanationJson::of)
                .orElseThrow(() -> new ApiException(404, ApiError.of(CostExplanationJson.notFound(eventId))));
        ctx.json(found);
    }
}
