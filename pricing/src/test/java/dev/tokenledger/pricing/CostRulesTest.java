package dev.tokenledger.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/** The pricing rules on small hand-written feeds: rounding, fallbacks, tiers. Real models: {@link GoldenCostTest}. */
class CostRulesTest {

    private static PricedCost price(String feed, String model, TokenUsage usage) {
        return CostCalculator.price(TestFeeds.snapshot(feed), model, null, 0L, usage);
    }

    private static BigDecimal usd(String s) {
        return new BigDecimal(s);
    }

    private static BigDecimal times(String rate, long tokens) {
        return new BigDecimal(rate).multiply(BigDecimal.valueOf(tokens));
    }

    @Test
    void eachComponentIsRoundedHalfEvenToTwelvePlacesAndTheTotalIsTheirSum() {
        String feed = """
                {"m": {"input_cost_per_token": 5e-13, "output_cost_per_token": 1.5e-12,
                       "cache_read_input_token_cost": 2.5e-12}}""";

        PricedCost one = price(feed, "m", TokenUsage.of(2, 1).withCachedTokens(1));

        assertThat(one.components().input()).isEqualTo(usd("0.000000000000"));       // 0.5e-12 -> even 0
        assertThat(one.components().output()).isEqualTo(usd("0.000000000002"));      // 1.5e-12 -> even 2
        assertThat(one.components().cachedInput()).isEqualTo(usd("0.000000000002")); // 2.5e-12 -> even 2
        assertThat(one.total()).isEqualTo(usd("0.000000000004")).isEqualTo(one.components().sum());
        assertThat(one.total().scale()).isEqualTo(12);
    }

    @Test
    void theSmallestRealPriceIsNotRoundedAway() {
        PricedCost one = price("{\"m\": {\"input_cost_per_token\": 1.3e-10, \"output_cost_per_token\": 1.3e-10}}",
                "m", TokenUsage.of(1, 0));

        assertThat(one.total()).isEqualTo(usd("0.000000000130"));
    }

    @Test
    void cachedTokensWithoutACacheReadPriceAreBilledAtTheInputRateNotForFree() {
        PricedCost noCachePrice = price("{\"m\": {\"input_cost_per_token\": 1e-6, \"output_cost_per_token\": 2e-6}}",
                "m", TokenUsage.of(1000, 0).withCachedTokens(600));
        PricedCost cacheHitAlias = price("""
                {"m": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6,
                       "input_cost_per_token_cache_hit": 1e-7}}""", "m", TokenUsage.of(1000, 0).withCachedTokens(600));

        assertThat(noCachePrice.components().cachedInput()).isEqualByComparingTo(times("1e-6", 600));
        assertThat(noCachePrice.components().input()).isEqualByComparingTo(times("1e-6", 400));
        assertThat(cacheHitAlias.components().cachedInput()).isEqualByComparingTo(times("1e-7", 600));
    }

    @Test
    void oneHourCacheWritesWithoutTheirKeyCostTwiceTheInputForClaudeAndAreUnpricedForAnyOtherModel() {
        TokenUsage usage = TokenUsage.of(1000, 0).withCacheCreationTokens(100).withCacheCreation1hTokens(200);

        PricedCost other = price("""
                {"m": {"input_cost_per_token": 1e-6, "cache_creation_input_token_cost": 1.25e-6}}""", "m", usage);
        PricedCost claude = price("{\"bedrock/claude-x\": {\"input_cost_per_token\": 1e-6}}", "bedrock/claude-x",
                usage);
        PricedCost fiveMinutesOnly = price("{\"m\": {\"input_cost_per_token\": 1e-6}}", "m",
                usage.withCacheCreation1hTokens(0));

        assertThat(other.status()).isEqualTo(CostStatus.UNPRICED);
        assertThat(other.unpricedReason()).isEqualTo(UnpricedReason.NO_CACHE_WRITE_1H_RATE);
        assertThat(other.reason()).contains("cache_creation_input_token_cost_above_1hr for 200 1-hour cache write");
        // Anthropic: 5-minute writes 1.25x, 1-hour writes 2x the base input rate.
        assertThat(claude.components().cacheCreation()).isEqualByComparingTo(times("1.25e-6", 100));
        assertThat(claude.components().cacheCreation1h()).isEqualByComparingTo(times("2e-6", 200));
        assertThat(fiveMinutesOnly.components().cacheCreation()).as("no discount assumed")
                .isEqualByComparingTo(times("1e-6", 100));
    }

    @Test
    void reasoningAndAudioUseTheirOwnRatesOrFallBackToTextRates() {
        TokenUsage usage = TokenUsage.of(1000, 500).withAudioPromptTokens(100).withThoughtsTokens(200)
                .withAudioCompletionTokens(50);

        PricedCost own = price("""
                {"m": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6,
                       "output_cost_per_reasoning_token": 3e-6, "input_cost_per_audio_token": 4e-6,
                       "output_cost_per_audio_token": 8e-6}}""", "m", usage);
        PricedCost fallback = price("{\"m\": {\"input_cost_per_token\": 1e-6, \"output_cost_per_token\": 2e-6}}",
                "m", usage);

        assertThat(own.components().reasoning()).isEqualByComparingTo(times("3e-6", 200));
        assertThat(own.components().audioInput()).isEqualByComparingTo(times("4e-6", 100));
        assertThat(own.components().audioOutput()).isEqualByComparingTo(times("8e-6", 50));
        assertThat(own.components().output()).isEqualByComparingTo(times("2e-6", 250));
        assertThat(fallback.components().reasoning()).isEqualByComparingTo(times("2e-6", 200));
        assertThat(fallback.components().audioInput()).isEqualByComparingTo(times("1e-6", 100));
        assertThat(fallback.components().audioOutput()).isEqualByComparingTo(times("2e-6", 50));
    }

    @Test
    void tokensWithNoPriceAtAllMakeTheCallUnpricedNotFree() {
        String embedding = "{\"e\": {\"input_cost_per_token\": 1e-7, \"litellm_provider\": \"openai\"}}";

        PricedCost withOutput = price(embedding, "e", TokenUsage.of(100, 5));
        PricedCost withoutOutput = price(embedding, "e", TokenUsage.of(100, 0));

        assertThat(withOutput.status()).isEqualTo(CostStatus.UNPRICED);
        assertThat(withOutput.total()).isNull();
        assertThat(withOutput.components()).isNull();
        assertThat(withOutput.modelKey()).isEqualTo("e");
        assertThat(withOutput.reason()).isEqualTo("model 'e' lists no output_cost_per_token for 5 output tokens");
        assertThat(withoutOutput.total()).isEqualByComparingTo(times("1e-7", 100));
    }

    @Test
    void anUnknownModelIsUnpricedWithANullCost() {
        PricedCost unknown = price("{\"m\": {\"input_cost_per_token\": 1e-6}}", "nope", TokenUsage.of(10, 10));

        assertThat(unknown.status()).isEqualTo(CostStatus.UNPRICED);
        assertThat(unknown.total()).isNull();
        assertThat(unknown.components()).isNull();
        assertThat(unknown.modelKey()).isNull();
        assertThat(unknown.reason()).contains("no price for model 'nope'");
    }

    @Test
    void aServiceTierWithoutItsOwnRatesIsPricedAtStandardRatesAndSaysSo() {
        String feed = """
                {"m": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6,
                       "input_cost_per_token_batches": 5e-7, "output_cost_per_token_batches": 1e-6}}""";

        PricedCost batch = price(feed, "m", TokenUsage.of(1000, 100).withServiceTier(ServiceTier.BATCH));
        PricedCost flex = price(feed, "m", TokenUsage.of(1000, 100).withServiceTier(ServiceTier.FLEX));

        assertThat(batch.serviceTierPriced()).isTrue();
        assertThat(batch.total()).isEqualByComparingTo(times("5e-7", 1000).add(times("1e-6", 100)));
        assertThat(flex.serviceTierPriced()).isFalse();
        assertThat(flex.total()).isEqualByComparingTo(times("1e-6", 1000).add(times("2e-6", 100)));
    }

    @Test
    void withSeveralThresholdsTheHighestExceededOneApplies() {
        String feed = """
                {"m": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6,
                       "input_cost_per_token_above_128k_tokens": 2e-6, "output_cost_per_token_above_128k_tokens": 4e-6,
                       "input_cost_per_token_above_200k_tokens": 3e-6}}""";

        assertThat(price(feed, "m", TokenUsage.of(128_000, 10)).contextTier()).isNull();
        assertThat(price(feed, "m", TokenUsage.of(128_001, 10)).contextTier()).isEqualTo("above_128k_tokens");
        PricedCost top = price(feed, "m", TokenUsage.of(200_001, 10));
        assertThat(top.contextTier()).isEqualTo("above_200k_tokens");
        // The 200k tier lists no output rate: the base output rate applies, as in LiteLLM.
        assertThat(top.total()).isEqualByComparingTo(times("3e-6", 200_001).add(times("2e-6", 10)));
    }

    @Test
    void toolUsePromptTokensAreBilledAtTheInputRateButDoNotCountTowardsTheThreshold() {
        String feed = """
                {"m": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6,
                       "input_cost_per_token_above_200k_tokens": 2e-6}}""";

        PricedCost cost = price(feed, "m", TokenUsage.of(150_000, 0).withToolUsePromptTokens(100_000));

        assertThat(cost.contextTier()).isNull();
        assertThat(cost.components().toolUsePrompt()).isEqualByComparingTo(times("1e-6", 100_000));
    }

    @Test
    void rangeTieredPricingBillsTheWholeRequestAtTheTierOfItsPromptLength() {
        String feed = """
                {"q": {"litellm_provider": "dashscope", "tiered_pricing": [
                    {"input_cost_per_token": 4e-7, "output_cost_per_token": 1.2e-6,
                     "output_cost_per_reasoning_token": 4e-6, "range": [0, 256000.0]},
                    {"input_cost_per_token": 1.2e-6, "output_cost_per_token": 3.6e-6, "range": [256000.0, 1000000.0]}]}}""";

        PricedCost low = price(feed, "q", TokenUsage.of(256_000, 100).withThoughtsTokens(40).withCachedTokens(1000));
        PricedCost high = price(feed, "q", TokenUsage.of(256_001, 100).withThoughtsTokens(40));
        PricedCost beyond = price(feed, "q", TokenUsage.of(2_000_000, 0));

        assertThat(low.contextTier()).isEqualTo("tiered_pricing[0, 256000]");
        assertThat(low.components().input()).isEqualByComparingTo(times("4e-7", 255_000));
        assertThat(low.components().cachedInput()).isEqualByComparingTo(times("4e-7", 1000)); // tier input rate
        assertThat(low.components().reasoning()).isEqualByComparingTo(times("4e-6", 40));
        assertThat(high.contextTier()).isEqualTo("tiered_pricing[256000, 1000000]");
        assertThat(high.components().reasoning()).isEqualByComparingTo(times("3.6e-6", 40)); // tier output rate
        assertThat(high.total()).isEqualByComparingTo(times("1.2e-6", 256_001).add(times("3.6e-6", 100)));
        assertThat(beyond.total()).isEqualByComparingTo(times("1.2e-6", 2_000_000));
    }
}
