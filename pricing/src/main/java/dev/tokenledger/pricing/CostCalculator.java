package dev.tokenledger.pricing;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;

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
        if (model == null || model.isBlank()) {
            return PricedCost.unpriced(model, null, null, null, null, usage.serviceTier(), "no model name given");
        }
        int resolved = snapshot.resolve(model, provider);
        if (resolved == PriceSnapshot.UNRESOLVED) {
            return PricedCost.unpriced(model, null, null, null, null, usage.serviceTier(),
                    "no price for model '" + model + "'" + (provider == null || provider.isBlank() ? ""
                            : " (provider '" + provider + "')") + " in the price book or the overrides");
        }
        String key = snapshot.key(resolved);
        MatchKind kind = snapshot.matchKind(resolved);
        Segment segment = snapshot.segment(resolved, epochMillis);
        if (segment == null) {
            return PricedCost.unpriced(model, key, kind, null, null, usage.serviceTier(),
                    "model '" + key + "' has no price valid at " + Instant.ofEpochMilli(epochMillis));
        }
        return price(model, key, kind, segment, usage);
    }

    static PricedCost price(String model, String key, MatchKind kind, Segment segment, TokenUsage usage) {
        RateCard card = segment.card();
        int level = card.level(usage.promptTokens());
        Rates r = card.rates(usage.serviceTier(), level);
        String missing = missingRate(r, usage);
        if (missing != null) {
            return PricedCost.unpriced(model, key, kind, segment.priceRowId(), segment.overrideId(),
                    usage.serviceTier(), "model '" + key + "' lists no " + missing);
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
        return new PricedCost(segment.overrideId() != null ? CostStatus.OVERRIDE : CostStatus.PRICED, model, key, kind,
                segment.priceRowId(), segment.overrideId(), card.levelName(level), usage.serviceTier(),
                r.serviceTierPriced(), c.sum(), c, null);
    }

    /** Which needed rate is absent, in words, or null when every component with tokens has a rate. */
    private static String missingRate(Rates r, TokenUsage u) {
        if (r.input() == null && (u.textPromptTokens() > 0 || u.toolUsePromptTokens() > 0)) {
            return "input_cost_per_token for " + (u.textPromptTokens() + u.toolUsePromptTokens()) + " input tokens";
        }
        if (r.cacheRead() == null && u.cachedTokens() > 0) {
            return "cache read or input price for " + u.cachedTokens() + " cached tokens";
        }
        if ((r.cacheWrite5m() == null && u.cacheCreationTokens() > 0)
                || (r.cacheWrite1h() == null && u.cacheCreation1hTokens() > 0)) {
            return "cache creation or input price for the cache write tokens";
        }
        if (r.audioInput() == null && u.audioPromptTokens() > 0) {
            return "audio or input price for " + u.audioPromptTokens() + " audio input tokens";
        }
        if (r.output() == null && u.textCompletionTokens() > 0) {
            return "output_cost_per_token for " + u.textCompletionTokens() + " output tokens";
        }
        if (r.reasoning() == null && u.thoughtsTokens() > 0) {
            return "reasoning or output price for " + u.thoughtsTokens() + " reasoning tokens";
        }
        if (r.audioOutput() == null && u.audioCompletionTokens() > 0) {
            return "audio or output price for " + u.audioCompletionTokens() + " audio output tokens";
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
