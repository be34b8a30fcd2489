package dev.tokenledger.pricing;

import java.math.BigDecimal;
import java.util.Set;

/**
 * The price of one call, with what it was priced from.
 *
 * @param status         priced, override, or unpriced
 * @param model          the model name as the caller gave it
 * @param modelKey       the price book key it resolved to; null when unresolved
 * @param matchedBy      how the name resolved; null when unresolved
 * @param priceRowId     {@code model_pricing.id} of the row used; null for an override-only model, a feed file,
 *                       or unpriced
 * @param overrideId     {@code model_pricing_override.id} applied, or null
 * @param contextTier    the context tier whose rates applied ({@code above_200k_tokens},
 *                       {@code tiered_pricing[0, 256000]}), null for the base rates
 * @param serviceTier    the price tier the call's service tier name mapped to
 * @param flags          what a person may want to check about a priced call (empty when nothing; always empty
 *                       when unpriced)
 * @param total          USD, scale {@value CostCalculator#SCALE}, the exact sum of the components; null when
 *                       unpriced (never zero for "unknown")
 * @param components     the parts of the total; null when unpriced
 * @param unpricedReason why the call is unpriced, as a code; null when priced
 * @param reason         why the call is unpriced, in words; null when priced
 */
public record PricedCost(CostStatus status, String model, String modelKey, MatchKind matchedBy, Long priceRowId,
                         Long overrideId, String contextTier, ServiceTier serviceTier, Set<PricingFlag> flags,
                         BigDecimal total, CostComponents components, UnpricedReason unpricedReason, String reason) {

    public PricedCost {
        flags = Set.copyOf(flags);
    }

    static PricedCost unpriced(String model, String modelKey, MatchKind matchedBy, Long priceRowId,
                               Long overrideId, ServiceTier tier, UnpricedReason code, String reason) {
        return new PricedCost(CostStatus.UNPRICED, model, modelKey, matchedBy, priceRowId, overrideId, null, tier,
                Set.of(), null, null, code, reason);
    }

    public boolean isPriced() {
        return status != CostStatus.UNPRICED;
    }

    /** Whether the call was priced at its service tier's own rates (false: at the standard rates, flagged). */
    public boolean serviceTierPriced() {
        return !flags.contains(PricingFlag.UNKNOWN_SERVICE_TIER) && !flags.contains(PricingFlag.SERVICE_TIER_NOT_PRICED);
    }
}
