package dev.tokenledger.usage;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Where one event's cost comes from: the event as written (its tokens, its written cost and the price row it was
 * priced with), every adjustment appended to it (with its run and reason), and its current cost, which is the
 * written cost plus the adjustments.
 *
 * @param event       the llm_usage row's dimensions and token counts, by column name
 * @param written     the written cost by component ({@code cost_usd}, {@code input_cost}, ...); empty when unpriced
 * @param writtenStatus {@code priced}, {@code unpriced} or {@code override}
 * @param current     written plus every adjustment, by component; empty when unpriced now
 * @param currentStatus the latest adjustment's status, or the written one
 * @param writtenBasis  how the written cost's model name matched, why it was unpriced, its flags
 */
public record CostExplanation(UUID eventId, Instant eventTime, Map<String, Object> event, String writtenStatus,
                              String writtenPricingModel, long writtenPricingId, long writtenOverrideId,
                              EventCost.Basis writtenBasis, Map<String, BigDecimal> written, List<Entry> adjustments,
                              String currentStatus, Map<String, BigDecimal> current) {

    /** One adjustment: the run that appended it, why, the event's new status and basis, the delta of every component. */
    public record Entry(long runId, String reason, String requestedBy, Instant adjustedAt, String status,
                        String pricingModel, long pricingId, long overrideId, EventCost.Basis basis, long unpricedDelta,
                        Map<String, BigDecimal> deltas) {
    }
}
