package dev.tokenledger.pricing;

import java.math.BigDecimal;

/**
 * The price of one call, with what it was priced from.
 *
 * @param status            priced, override, or unpriced
 * @param model             the model name as the caller gave it
 * @param modelKey          the price book key it resolved to; null when unresolved
 * @param matchedBy         how the name resolved; null when unresolved
 * @param priceRowId        {@code model_pricing.id} of the row used; null for an override-only model, a
 *                          feed file, or unpriced
 * @param overrideId        {@code model_pricing_override.id} applied, or null
 * @param contextTier       the context tier whose rates applied ({@code above_200k_tokens},
 *                          {@code tiered_pricing[0, 256000]}), null for the base rates
 * @param serviceTier       the service tier of the call
 * @param serviceTierPriced false when the model has no rates for a non-standard service tier and its
 *                          standard rates were used
 * @param total             USD, scale {@value CostCalculator#SCALE}, the exact sum of the components; null
 *                          when unpriced (never zero for "unknown")
 * @param components        the parts of the total; null when unpriced
 * @param reason            why the call is unpriced; null otherwise
 */
public record PricedCost(CostStatus status, String model, String modelKey, MatchKind matchedBy, Long priceRowId,
                         Long overrideId, String contextTier, ServiceTier serviceTier, boolean serviceTierPriced,
                         BigDecimal total, CostComponents components, String reason) {

    static PricedCost unpriced(String model, String modelKey, MatchKind matchedBy, Long priceRowId,
                               Long overrideId, ServiceTier tier, String reason) {
        return new PricedCost(CostStatus.UNPRICED, model, modelKey, matchedBy, priceRowId, overrideId, null, tier,
                false, null, null, reason);
    }

    public boolean isPriced() {
        return status != CostStatus.UNPRICED;
    }
}
