package dev.tokenledger.pricing;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.EnumSet;
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
        UnitRates units = card.units();
        BilledExtras x = usage.extras();
        Missing missing = missingRate(r, usage);
        if (missing == null && x.any()) {
            missing = missingUnitRate(units, x);
        }
        if (missing != null) {
            return PricedCost.unpriced(model, key, kind, segment.priceRowId(), segment.overrideId(), tier,
                    missing.code(), "model '" + key + "' lists no " + missing.what());
        }
        // The regional uplift multiplies every token rate (exactly: tokens x rate x uplift, rounded once).
        BigDecimal up = units.uplift(x.inferenceGeo());
        CostComponents c = new CostComponents(
                cost(usage.textPromptTokens(), r.input(), up),
                cost(usage.cachedTokens(), r.cacheRead(), up),
                cost(usage.cacheCreationTokens(), r.cacheWrite5m(), up),
                cost(usage.cacheCreation1hTokens(), r.cacheWrite1h(), up),
                cost(usage.textCompletionTokens(), r.output(), up),
                cost(usage.thoughtsTokens(), r.reasoning(), up),
                cost(usage.audioPromptTokens(), r.audioInput(), up),
                cost(usage.audioCompletionTokens(), r.audioOutput(), up),
                cost(usage.toolUsePromptTokens(), r.input(), up),
                cost(usage.imagePromptTokens(), r.imageInput(), up),
                cost(usage.imageCompletionTokens(), r.imageOutput(), up),
                round(times(x.inputImages(), units.inputImage()).add(times(x.outputImages(), units.outputImage()))),
                round(times(x.webSearchRequests(), units.webSearch())),
                round(times(x.inputAudioSeconds(), units.inputAudioSecond())
                        .add(times(x.inputVideoSeconds(), units.inputVideoSecond()))
                        .add(times(x.outputAudioSeconds(), units.outputAudioSecond()))
                        .add(times(x.outputVideoSeconds(), units.outputVideoSecond()))));
        Set<PricingFlag> flags = EnumSet.noneOf(PricingFlag.class);
        if (tier == ServiceTier.UNKNOWN) {
            flags.add(PricingFlag.UNKNOWN_SERVICE_TIER);
        } else if (!r.serviceTierPriced()) {
            flags.add(PricingFlag.SERVICE_TIER_NOT_PRICED);
        }
        if (up != null) {
            flags.add(PricingFlag.REGIONAL_UPLIFT);
        }
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
        if (r.imageInput() == null && u.imagePromptTokens() > 0) {
            return new Missing(UnpricedReason.NO_IMAGE_INPUT_RATE, "image or input price for " + u.imagePromptTokens()
                    + " image input tokens");
        }
        if (r.imageOutput() == null && u.imageCompletionTokens() > 0) {
            return new Missing(UnpricedReason.NO_IMAGE_OUTPUT_RATE, "image or output price for "
                    + u.imageCompletionTokens() + " image output tokens");
        }
        return null;
    }

    /** Which rate of a billed extra is absent, or null. */
    private static Missing missingUnitRate(UnitRates u, BilledExtras x) {
        if (u.webSearch() == null && x.webSearchRequests() > 0) {
            return new Missing(UnpricedReason.NO_WEB_SEARCH_RATE, "search_context_cost_per_query for "
                    + x.webSearchRequests() + " web searches");
        }
        if (u.inputImage() == null && x.inputImages() > 0) {
            return new Missing(UnpricedReason.NO_IMAGE_INPUT_RATE, "input_cost_per_image for " + x.inputImages()
                    + " input images (images billed as tokens are sent as image_prompt_tokens)");
        }
        if (u.outputImage() == null && x.outputImages() > 0) {
            return new Missing(UnpricedReason.NO_IMAGE_OUTPUT_RATE, "output_cost_per_image for " + x.outputImages()
                    + " generated images (images billed as tokens are sent as image_completion_tokens)");
        }
        if (u.inputAudioSecond() == null && x.inputAudioSeconds().signum() > 0) {
            return new Missing(UnpricedReason.NO_AUDIO_SECOND_RATE, "input_cost_per_audio_per_second or"
                    + " input_cost_per_second for " + x.inputAudioSeconds().toPlainString() + " seconds of audio input");
        }
        if (u.outputAudioSecond() == null && x.outputAudioSeconds().signum() > 0) {
            return new Missing(UnpricedReason.NO_AUDIO_SECOND_RATE, "output_cost_per_audio_per_second or"
                    + " output_cost_per_second for " + x.outputAudioSeconds().toPlainString()
                    + " seconds of audio output");
        }
        if (u.inputVideoSecond() == null && x.inputVideoSeconds().signum() > 0) {
            return new Missing(UnpricedReason.NO_VIDEO_SECOND_RATE, "input_cost_per_video_per_second for "
                    + x.inputVideoSeconds().toPlainString() + " seconds of video input");
        }
        if (u.outputVideoSecond() == null && x.outputVideoSeconds().signum() > 0) {
            return new Missing(UnpricedReason.NO_VIDEO_SECOND_RATE, "output_cost_per_video_per_second or"
                    + " output_cost_per_second for " + x.outputVideoSeconds().toPlainString()
                    + " seconds of video output");
        }
        return null;
    }

    private static BigDecimal cost(long tokens, BigDecimal rate, BigDecimal uplift) {
        if (tokens == 0) {
            return ZERO;
        }
        BigDecimal exact = BigDecimal.valueOf(tokens).multiply(rate);
        return (uplift == null ? exact : exact.multiply(uplift)).setScale(SCALE, ROUNDING);
    }

    /** count x rate, exactly; zero when the count is zero (its rate may then be absent). */
    private static BigDecimal times(long count, BigDecimal rate) {
        return count == 0 ? BigDecimal.ZERO : BigDecimal.valueOf(count).multiply(rate);
    }

    private static BigDecimal times(BigDecimal seconds, BigDecimal rate) {
        return seconds.signum() == 0 ? BigDecimal.ZERO : seconds.multiply(rate);
    }

    private static BigDecimal round(BigDecimal exact) {
        return exact.signum() == 0 ? ZERO : exact.setScale(SCALE, ROUNDING);
    }
}
