package dev.tokenledger.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What a call is billed for besides its text tokens (issue 15, item 4), on the bundled 2026-07-24 LiteLLM file through
 * the real path: web searches, image tokens, images, seconds of audio and video, and regional uplifts. Each expected
 * value is the file's number times the count, computed here; a count with no rate in the file is unpriced with its
 * reason, never $0.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BilledExtrasPricingTest {
    private static final Instant AT = Instant.parse("2026-07-25T12:00:00Z");

    private TestBook book;

    @BeforeAll
    void loadTheBundledSnapshot() {
        book = TestBook.fresh("billed_extras", AT);
        assertThat(book.pricing.applyBundledSnapshotIfEmpty()).isPresent();
    }

    @AfterAll
    void close() {
        book.close();
    }

    private static BigDecimal t(long count, String rate) {
        return new BigDecimal(rate).multiply(BigDecimal.valueOf(count));
    }

    private static BigDecimal s(String seconds, String rate) {
        return new BigDecimal(rate).multiply(new BigDecimal(seconds));
    }

    private static BilledExtras searches(long n) {
        return new BilledExtras(n, 0, 0, null, null, null, null, "");
    }

    private static BilledExtras geo(String region) {
        return new BilledExtras(0, 0, 0, null, null, null, null, region);
    }

    private PricedCost priced(String model, TokenUsage usage) {
        PricedCost cost = book.price(model, null, AT, usage);
        assertThat(cost.isPriced()).as("%s: %s", model, cost.reason()).isTrue();
        assertThat(cost.total()).isEqualTo(cost.components().sum());
        return cost;
    }

    private PricedCost unpriced(String model, TokenUsage usage, UnpricedReason reason) {
        PricedCost cost = book.price(model, null, AT, usage);
        assertThat(cost.isPriced()).as("%s must be unpriced", model).isFalse();
        assertThat(cost.total()).isNull();
        assertThat(cost.unpricedReason()).isEqualTo(reason);
        return cost;
    }

    @Test
    void anthropicWebSearchesCostTheFeedsPerQueryPriceEachOnTopOfTheTokens() {
        // claude-sonnet-4-5: search_context_cost_per_query medium 0.01 (Anthropic: $10 per 1,000 searches);
        // input 3e-06, output 1.5e-05.
        PricedCost cost = priced("claude-sonnet-4-5", TokenUsage.of(4_000, 600).withExtras(searches(3)));

        assertThat(cost.components().webSearch()).isEqualByComparingTo(t(3, "0.01"));
        assertThat(cost.total()).isEqualByComparingTo(t(4_000, "3e-06").add(t(600, "1.5e-05")).add(t(3, "0.01")));
    }

    @Test
    void geminiGroundedQueriesCostTheGeminiPerQueryPrice() {
        // gemini/gemini-2.5-flash-image: search_context_cost_per_query medium 0.035.
        PricedCost cost = priced("gemini/gemini-2.5-flash-image", TokenUsage.of(100, 10).withExtras(searches(2)));

        assertThat(cost.components().webSearch()).isEqualByComparingTo(t(2, "0.035"));
    }

    @Test
    void aWebSearchOnAModelWithNoSearchPriceIsUnpricedNeverFree() {
        // gpt-5 lists no search_context_cost_per_query: LiteLLM would charge $0 for its web search calls.
        PricedCost cost = unpriced("gpt-5", TokenUsage.of(1_000, 100).withExtras(searches(1)),
                UnpricedReason.NO_WEB_SEARCH_RATE);
        assertThat(cost.reason()).contains("search_context_cost_per_query", "1 web searches");
        assertThat(priced("gpt-5", TokenUsage.of(1_000, 100)).total()).isPositive();
    }

    @Test
    void imageTokensArePricedAtTheirOwnRatesAndTheRestOfThePromptAtTheTextRate() {
        // gpt-image-1: input 5e-06, input_cost_per_image_token 1e-05, output_cost_per_image_token 4e-05 (no text
        // output rate: all its output is image tokens).
        PricedCost cost = priced("gpt-image-1", TokenUsage.of(1_500, 4_160).withImageTokens(1_000, 4_160));

        assertThat(cost.components().input()).isEqualByComparingTo(t(500, "5e-06"));
        assertThat(cost.components().imageInput()).isEqualByComparingTo(t(1_000, "1e-05"));
        assertThat(cost.components().imageOutput()).isEqualByComparingTo(t(4_160, "4e-05"));
        assertThat(cost.components().output()).isZero();
        assertThat(cost.total()).isEqualByComparingTo(t(500, "5e-06").add(t(1_000, "1e-05")).add(t(4_160, "4e-05")));
    }

    @Test
    void imageTokensOfAModelWithoutImageRatesCostItsTextRatesAsLiteLlmAndOpenAiBillThem() {
        // gpt-4o: input 2.5e-06, output 1e-05; no image token keys.
        PricedCost cost = priced("gpt-4o", TokenUsage.of(1_200, 0).withImageTokens(765, 0));

        assertThat(cost.components().imageInput()).isEqualByComparingTo(t(765, "2.5e-06"));
        assertThat(cost.total()).isEqualByComparingTo(t(1_200, "2.5e-06"));
    }

    @Test
    void generatedImagesCostThePerImagePrice() {
        // gemini/gemini-2.5-flash-image: output_cost_per_image 0.039.
        PricedCost cost = priced("gemini/gemini-2.5-flash-image", TokenUsage.of(20, 0)
                .withExtras(new BilledExtras(0, 0, 2, null, null, null, null, "")));

        assertThat(cost.components().images()).isEqualByComparingTo(t(2, "0.039"));
        assertThat(cost.total()).isEqualByComparingTo(t(20, "3e-07").add(t(2, "0.039")));
    }

    @Test
    void multimodalEmbeddingsPriceImagesAndSecondsOfAudioAndVideo() {
        // gemini-embedding-2: input_cost_per_image 0.00012, input_cost_per_audio_per_second 0.00016,
        // input_cost_per_video_per_second 0.00079, input 2e-07.
        PricedCost cost = priced("gemini-embedding-2", TokenUsage.of(300, 0).withExtras(new BilledExtras(0, 3, 0,
                new BigDecimal("12.5"), new BigDecimal("4.25"), null, null, "")));

        assertThat(cost.components().images()).isEqualByComparingTo(t(3, "0.00012"));
        assertThat(cost.components().seconds()).isEqualByComparingTo(s("12.5", "0.00016").add(s("4.25", "0.00079")));
        assertThat(cost.total()).isEqualByComparingTo(t(300, "2e-07").add(t(3, "0.00012"))
                .add(s("12.5", "0.00016")).add(s("4.25", "0.00079")));
    }

    @Test
    void transcriptionIsPricedPerSecondOfAudioAtTheInputRateOnce() {
        // whisper-1: input_cost_per_second 0.0001 ($0.006 a minute); its output_cost_per_second is the same price
        // for the same audio, so only the audio in is billed.
        PricedCost cost = priced("whisper-1", TokenUsage.of(0, 0).withExtras(new BilledExtras(0, 0, 0,
                new BigDecimal("60.5"), null, null, null, "")));

        assertThat(cost.total()).isEqualByComparingTo(s("60.5", "0.0001"));
    }

    @Test
    void speechAndVideoGenerationArePricedPerSecondGenerated() {
        // gpt-4o-mini-tts: output_cost_per_second 0.00025; sora-2: output_cost_per_video_per_second 0.1.
        PricedCost speech = priced("gpt-4o-mini-tts", TokenUsage.of(40, 0).withExtras(new BilledExtras(0, 0, 0,
                null, null, new BigDecimal("10.001"), null, "")));
        PricedCost video = priced("sora-2", TokenUsage.of(0, 0).withExtras(new BilledExtras(0, 0, 0, null, null,
                null, new BigDecimal("8"), "")));

        assertThat(speech.total()).isEqualByComparingTo(t(40, "2.5e-06").add(s("10.001", "0.00025")));
        assertThat(video.total()).isEqualByComparingTo(s("8", "0.1"));
    }

    @Test
    void aCountTheModelHasNoRateForMakesTheCallUnpricedWithThatReason() {
        unpriced("gpt-4o", TokenUsage.of(10, 1).withExtras(new BilledExtras(0, 1, 0, null, null, null, null, "")),
                UnpricedReason.NO_IMAGE_INPUT_RATE);
        unpriced("gpt-4o", TokenUsage.of(10, 1).withExtras(new BilledExtras(0, 0, 1, null, null, null, null, "")),
                UnpricedReason.NO_IMAGE_OUTPUT_RATE);
        unpriced("gpt-4o", TokenUsage.of(10, 1).withExtras(new BilledExtras(0, 0, 0, new BigDecimal("1"), null,
                null, null, "")), UnpricedReason.NO_AUDIO_SECOND_RATE);
        unpriced("gpt-4o", TokenUsage.of(10, 1).withExtras(new BilledExtras(0, 0, 0, null, new BigDecimal("0.001"),
                null, null, "")), UnpricedReason.NO_VIDEO_SECOND_RATE);
        unpriced("whisper-1", TokenUsage.of(0, 0).withExtras(new BilledExtras(0, 0, 0, null, new BigDecimal("2"),
                null, null, "")), UnpricedReason.NO_VIDEO_SECOND_RATE);
    }

    @Test
    void openAisDataResidencyUpliftMultipliesEveryTokenRateCacheIncludedAndIsFlagged() {
        // gpt-5.4: input 2.5e-06, cache read 2.5e-07, output 1.5e-05; regional_processing_uplift_multiplier_eu 1.1
        // (OpenAI: "a 10% uplift" on data residency endpoints).
        TokenUsage call = TokenUsage.of(3_000, 700).withCachedTokens(1_000);
        BigDecimal list = t(2_000, "2.5e-06").add(t(1_000, "2.5e-07")).add(t(700, "1.5e-05"));

        PricedCost eu = priced("gpt-5.4", call.withExtras(geo("EU")));
        PricedCost plain = priced("gpt-5.4", call);

        assertThat(plain.total()).isEqualByComparingTo(list);
        assertThat(plain.flags()).isEmpty();
        assertThat(eu.total()).isEqualByComparingTo(list.multiply(new BigDecimal("1.1")));
        assertThat(eu.components().cachedInput()).isEqualByComparingTo(t(1_000, "2.5e-07").multiply(new BigDecimal("1.1")));
        assertThat(eu.flags()).containsExactly(PricingFlag.REGIONAL_UPLIFT);
    }

    @Test
    void anthropicsUsInferenceGeoUpliftComesFromTheProviderSpecificEntryAndSkipsSearches() {
        // claude-opus-4-6: provider_specific_entry {"us": 1.1, "fast": 6.0}; input 5e-06, output 2.5e-05; search 0.01.
        TokenUsage call = TokenUsage.of(1_000, 100);
        BigDecimal tokens = t(1_000, "5e-06").add(t(100, "2.5e-05"));

        PricedCost us = priced("claude-opus-4-6", call.withExtras(new BilledExtras(2, 0, 0, null, null, null, null,
                "us")));
        PricedCost global = priced("claude-opus-4-6", call.withExtras(geo("global")));

        assertThat(us.total()).isEqualByComparingTo(tokens.multiply(new BigDecimal("1.1")).add(t(2, "0.01")));
        assertThat(us.flags()).containsExactly(PricingFlag.REGIONAL_UPLIFT);
        assertThat(global.total()).isEqualByComparingTo(tokens);
        assertThat(global.flags()).isEmpty();
        // A model with no uplift for the region: list price, as the provider bills it.
        assertThat(priced("gpt-4o", TokenUsage.of(1_000, 0).withExtras(geo("eu"))).total())
                .isEqualByComparingTo(t(1_000, "2.5e-06"));
    }

    @Test
    void secondsAreExactToTheMillisecondAndNeverNegative() {
        assertThatThrownBy(() -> new BilledExtras(0, 0, 0, new BigDecimal("1.0005"), null, null, null, ""))
                .hasMessageContaining("inputAudioSeconds must have at most 3 decimal places");
        assertThatThrownBy(() -> new BilledExtras(-1, 0, 0, null, null, null, null, ""))
                .hasMessageContaining("webSearchRequests must be >= 0");
        assertThatThrownBy(() -> TokenUsage.of(100, 10).withImageTokens(101, 0))
                .hasMessageContaining("imagePromptTokens (101)");
    }
}
