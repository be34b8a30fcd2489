package dev.tokenledger.pricing;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.Set;

/**
 * Exact cost of a call from a resolved price window.
 *
 * <h2>Rounding rule (the only one)</h2>
 * Each component is computed exactly ({@code tokens × rate}, {@link BigDecimal}, no intermediate
 * rounding), then rounded {@link RoundingMode#HALF_EVEN} to {@value #SCALE} decimal places; the total is
 * the sum of the rounded components, so the components always add up to the total exactly. Twelve places
 * keep the smallest real price (1.3e-10 USD per token) exact for a single token.
 *
 * <p>A component with tokens needs a rate: if the model lists no input (or output) price at all and the
 * call has such tokens, the call is unpriced with the reason, never priced at zero.
 */
final class CostCalculator {
    static final int SCALE = 12;
    static final RoundingMode ROUNDING = RoundingMode.HALF_EVEN;
    private static final BigDecimal ZERO = BigDecimal.ZERO.setScale(SCALE, ROUNDING);

    private CostCalculator() {
    }

    static PricedCost price(PriceSnapshot snapshot, String model, String provider, long epochMillis,
                            TokenUsage usage) {
        ServiceTier tier = usage.serviceTier();
        if (model == null || model.isBlank()) {
            return PricedCost.unpriced(model, null, null, null, null, tier, UnpricedReason.NO_MODEL,
                    "no model name given");
        }
        int resolved = snapshot.resolve(model, provider, epochMillis);
        if (resolved == PriceSnapshot.UNRESOLVED) {
            String alias = snapshot.aliasTarget(model, epochMillis);
            return PricedCost.unpriced(model, null, null, null, null, tier, UnpricedReason.UNKNOWN_MODEL,
                    alias != null ? "model '" + model + "' is an alias of '" + alias + "', which has no price in the"
                            + " price book or the overrides"
                            : "no price for model '" + model + "'" + (provider == null || provider.isBlank() ? ""
                            : " (provider '" + provider + "')") + " in the price book or the overrides");
        }
        String key = snapshot.key(resolved);
        MatchKind kind = snapshot.matchKind(resolved);
        Segment segment = snapshot.segment(resolved, epochMillis);
        if (segment == null) {
            return PricedCost.unpriced(model, key, kind, null, null, tier, UnpricedReason.NO_PRICE_AT_TIME,
                    "model '" + key + "' has no price valid at " + Instant.ofEpochMilli(epochMillis));
        }
        return price(model, key, kind, segment, usage);
    }

    static PricedCost price(String model, String key, MatchKind kind, Segment segment, TokenUsage usage) {
        RateCard card = segment.card();
        int level = card.level(usage.promptTokens());
        ServiceTier tier = usage.serviceTier();
        Rates r = card.rates(tier, level);
        Missing missing = missingRate(r, usage);
        if (missing != null) {
            return PricedCost.unpriced(model, key, kind, segment.priceRowId(), segment.overrideId(), tier,
                    missing.code(), "model '" + key + "' lists no " + missing.what());
        }
        CostComponents c = new CostComponents(
                cost(usage.textPromptTokens(), r.input()),
                cost(usage.cachedTokens(), r.cacheRead()),
                cost(usage.cacheCreationTokens(), r.cacheWrite5m()),
                cost(usage.cacheCreation1hTokens(), r.cacheWrite1h()),
                cost(usage.textCompletionTokens(), r.output()),
                cost(usage.thoughtsTokens(), r.reasoning()),
                cost(usage.audioPromptTokens(), r.audioInput()),
                cost(usage.audioCompletionTokens(), r.audioOutput()),
                cost(usage.toolUsePromptTokens(), r.input()));
        Set<PricingFlag> flags = tier == ServiceTier.UNKNOWN ? Set.of(PricingFlag.UNKNOWN_SERVICE_TIER)
                : r.serviceTierPriced() ? Set.of() : Set.of(PricingFlag.SERVICE_TIER_NOT_PRICED);
        return new PricedCost(segment.overrideId() != null ? CostStatus.OVERRIDE : CostStatus.PRICED, model, key, kind,
                segment.priceRowId(), segment.overrideId(), card.levelName(level), tier, flags, c.sum(), c, null,
                null);
    }

    /** A needed rate that is absent: its code, and what is missing in words. */
    private record Missing(UnpricedReason code, String what) {
    }

    /** Which needed rate is absent, or null when every component with tokens has a rate. */
    private static Missing missingRate(Rates r, TokenUsage u) {
        if (r.input() == null && (u.textPromptTokens() > 0 || u.toolUsePromptTokens() > 0)) {
            return new Missing(UnpricedReason.NO_INPUT_RATE, "input_cost_per_token for "
                    + (u.textPromptTokens() + u.toolUsePromptTokens()) + " input tokens");
        }
        if (r.cacheRead() == null && u.cachedTokens() > 0) {
            return new Missing(UnpricedReason.NO_CACHE_READ_RATE, "cache read or input price for " + u.cachedTokens()
                    + " cached tokens");
        }
        if (r.cacheWrite5m() == null && u.cacheCreationTokens() > 0) {
            return new Missing(UnpricedReason.NO_CACHE_WRITE_RATE, "cache creation or input price for "
                    + u.cacheCreationTokens() + " cache write tokens");
        }
        if (r.cacheWrite1h() == null && u.cacheCreation1hTokens() > 0) {
            return new Missing(UnpricedReason.NO_CACHE_WRITE_1H_RATE, "cache_creation_input_token_cost_above_1hr for "
                    + u.cacheCreation1hTokens() + " 1-hour cache write tokens (a rate is derived only for Claude"
                    + " models, from Anthropic's documented 2x input)");
        }
        if (r.audioInput() == null && u.audioPromptTokens() > 0) {
            return new Missing(UnpricedReason.NO_AUDIO_INPUT_RATE, "audio or input price for " + u.audioPromptTokens()
                    + " audio input tokens");
        }
        if (r.output() == null && u.textCompletionTokens() > 0) {
            return new Missing(UnpricedReason.NO_OUTPUT_RATE, "output_cost_per_token for " + u.textCompletionTokens()
                    + " output tokens");
        }
        if (r.reasoning() == null && u.thoughtsTokens() > 0) {
            return new Missing(UnpricedReason.NO_REASONING_RATE, "reasoning or output price for " + u.thoughtsTokens()
                    + " reasoning tokens");
        }
        if (r.audioOutput() == null && u.audioCompletionTokens() > 0) {
            return new Missing(UnpricedReason.NO_AUDIO_OUTPUT_RATE, "audio or output price for "
                    + u.audioCompletionTokens() + " audio output tokens");
        }
        return null;
    }

    private static BigDecimal cost(long tokens, BigDecimal rate) {
        if (tokens == 0) {
            return ZERO;
        }
        return BigDecimal.valueOf(tokens).multiply(rate).setScale(SCALE, ROUNDING);
    }
}
