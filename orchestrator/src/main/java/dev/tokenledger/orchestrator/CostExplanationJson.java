package dev.tokenledger.orchestrator;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.tokenledger.usage.CostExplanation;
import dev.tokenledger.usage.EventCost;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One event's cost traced, as {@code explain-cost --json} prints it and {@code GET /v1/usage/{event_id}} answers:
 * snake_case names, money as exact decimal strings (scale 12), a price row or override id of 0 (none) as null.
 * The current cost is the written cost plus every adjustment; a cost is null when the event is unpriced.
 *
 * @param event       the event as llm_usage holds it: dimensions, token counts, batch and ingestion time
 * @param written     its status, price row and cost as written
 * @param adjustments every correction appended to it, oldest run first
 * @param current     its status and cost now
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CostExplanationJson(UUID eventId, Instant eventTime, Map<String, Object> event, Cost written,
                                  List<Adjustment> adjustments, Cost current) {

    /**
     * A status and the price it came from, with the cost by component ({@code cost_usd} first); {@code cost} is
     * null when unpriced. {@code pricing_match} says how the model's name matched its price book key,
     * {@code unpriced_reason} why there is no cost (null when priced), {@code pricing_flags} what to check.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Cost(String status, String pricingModel, Long pricingId, Long overrideId, String pricingMatch,
                       String unpricedReason, List<String> pricingFlags, Map<String, String> cost) {
    }

    /** One correction: the run that appended it and why, the new status and price, the delta of every component. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Adjustment(long runId, String reason, String requestedBy, Instant adjustedAt, String status,
                             String pricingModel, Long pricingId, Long overrideId, String pricingMatch,
                             String unpricedReason, List<String> pricingFlags, long unpricedDelta,
                             Map<String, String> deltas) {
    }

    public static CostExplanationJson of(CostExplanation x) {
        List<Adjustment> adjustments = x.adjustments().stream().map(a -> new Adjustment(a.runId(), a.reason(),
                a.requestedBy(), a.adjustedAt(), a.status(), blankToNull(a.pricingModel()), idOrNull(a.pricingId()),
                idOrNull(a.overrideId()), blankToNull(a.basis().match()), blankToNull(a.basis().unpricedReason()),
                flags(a.basis()), a.unpricedDelta(), exact(a.deltas()))).toList();
        CostExplanation.Entry last = x.adjustments().isEmpty() ? null : x.adjustments().getLast();
        EventCost.Basis wb = x.writtenBasis();
        Cost written = new Cost(x.writtenStatus(), blankToNull(x.writtenPricingModel()), idOrNull(x.writtenPricingId()),
                idOrNull(x.writtenOverrideId()), blankToNull(wb.match()), blankToNull(wb.unpricedReason()), flags(wb),
                x.written().isEmpty() ? null : exact(x.written()));
        Cost current = last == null
                ? new Cost(x.currentStatus(), written.pricingModel(), written.pricingId(), written.overrideId(),
                        written.pricingMatch(), written.unpricedReason(), written.pricingFlags(),
                        x.current().isEmpty() ? null : exact(x.current()))
                : new Cost(x.currentStatus(), blankToNull(last.pricingModel()), idOrNull(last.pricingId()),
                        idOrNull(last.overrideId()), blankToNull(last.basis().match()),
                        blankToNull(last.basis().unpricedReason()), flags(last.basis()),
                        x.current().isEmpty() ? null : exact(x.current()));
        return new CostExplanationJson(x.eventId(), x.eventTime(), x.event(), written, adjustments, current);
    }

    /** Why an id has no explanation: the same words from the CLI and the HTTP API. */
    public static String notFound(UUID eventId) {
        return "no event " + eventId + " in llm_usage (not written yet, dead-lettered, or older than its 13 months)";
    }

    private static Map<String, String> exact(Map<String, BigDecimal> costs) {
        Map<String, String> out = new LinkedHashMap<>();
        costs.forEach((component, usd) -> out.put(component, Output.exact(usd)));
        return out;
    }

    /** The stored comma-separated flags as a list (empty when none). */
    private static List<String> flags(EventCost.Basis basis) {
        return basis.flags().isEmpty() ? List.of() : List.of(basis.flags().split(","));
    }

    private static Long idOrNull(long id) {
        return id == 0 ? null : id;
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
