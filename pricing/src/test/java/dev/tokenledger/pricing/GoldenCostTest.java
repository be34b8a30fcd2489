package dev.tokenledger.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Golden costs of real models from LiteLLM's 2026-07-24 file, loaded through the real path (parse, PostgreSQL
 * jsonb, snapshot). Each expected value is written as tokens × the price literal from the file.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GoldenCostTest {
    private static final Instant AT = Instant.parse("2026-07-25T12:00:00Z");

    private TestBook book;

    @BeforeAll
    void loadTheBundledSnapshot() {
        book = TestBook.fresh("golden", AT);
        assertThat(book.pricing.applyBundledSnapshotIfEmpty()).get()
                .extracting(RefreshResult::outcome).isEqualTo(RefreshOutcome.APPLIED);
    }

    @AfterAll
    void close() {
        book.close();
    }

    /** {@code tokens × rate}, exactly. */
    private static BigDecimal t(long tokens, String rate) {
        return new BigDecimal(rate).multiply(BigDecimal.valueOf(tokens));
    }

    private static BigDecimal sum(BigDecimal... parts) {
        BigDecimal total = BigDecimal.ZERO;
        for (BigDecimal p : parts) {
            total = total.add(p);
        }
        return total;
    }

    private PricedCost price(String model, TokenUsage usage) {
        PricedCost cost = book.price(model, null, AT, usage);
        assertThat(cost.status()).as("status of %s", model).isEqualTo(CostStatus.PRICED);
        assertThat(cost.matchedBy()).isEqualTo(MatchKind.EXACT);
        assertThat(cost.total()).isEqualTo(cost.components().sum());
        assertThat(cost.total().scale()).isEqualTo(12);
        return cost;
    }

    private void assertTotal(String model, TokenUsage usage, BigDecimal expected) {
        assertThat(price(model, usage).total()).as("cost of %s", model).isEqualByComparingTo(expected);
    }

    @Nested
    class OpenAi {
        @Test
        void gpt4oBillsCachedTokensAtTheCacheReadRate() {
            PricedCost cost = price("gpt-4o", TokenUsage.of(10_000, 500).withCachedTokens(4_000));

            assertThat(cost.components().input()).isEqualByComparingTo(t(6_000, "0.0000025"));
            assertThat(cost.components().cachedInput()).isEqualByComparingTo(t(4_000, "0.00000125"));
            assertThat(cost.components().output()).isEqualByComparingTo(t(500, "0.00001"));
            assertThat(cost.total()).isEqualByComparingTo(
                    sum(t(6_000, "0.0000025"), t(4_000, "0.00000125"), t(500, "0.00001")));
        }

        @Test
        void gpt4oOnTheBatchTierUsesTheBatchesRates() {
            PricedCost cost = price("gpt-4o", TokenUsage.of(10_000, 500).withServiceTier(ServiceTier.BATCH));

            assertThat(cost.serviceTierPriced()).isTrue();
            assertThat(cost.total()).isEqualByComparingTo(sum(t(10_000, "0.00000125"), t(500, "0.000005")));
        }

        @Test
        void gpt4oOnThePriorityTierUsesThePriorityRatesIncludingCacheReads() {
            assertTotal("gpt-4o", TokenUsage.of(10_000, 500).withCachedTokens(2_000)
                            .withServiceTier(ServiceTier.PRIORITY),
                    sum(t(8_000, "0.00000425"), t(2_000, "0.000002125"), t(500, "0.000017")));
        }

        @Test
        void gpt4oMini() {
            assertTotal("gpt-4o-mini", TokenUsage.of(3_000, 700).withCachedTokens(1_000),
                    sum(t(2_000, "1.5E-7"), t(1_000, "7.5E-8"), t(700, "6E-7")));
        }

        @Test
        void gpt5ReasoningTokensAreBilledAtTheOutputRateOnce() {
            PricedCost cost = price("gpt-5", TokenUsage.of(2_000, 800).withThoughtsTokens(300));

            assertThat(cost.components().output()).isEqualByComparingTo(t(500, "0.00001"));
            assertThat(cost.components().reasoning()).isEqualByComparingTo(t(300, "0.00001"));
            assertThat(cost.total()).isEqualByComparingTo(sum(t(2_000, "0.00000125"), t(800, "0.00001")));
        }

        @Test
        void gpt5OnTheFlexTierUsesTheFlexRatesForEveryComponent() {
            assertTotal("gpt-5", TokenUsage.of(2_000, 800).withCachedTokens(1_000).withThoughtsTokens(300)
                            .withServiceTier(ServiceTier.FLEX),
                    sum(t(1_000, "6.25E-7"), t(1_000, "6.25E-8"), t(500, "0.000005"), t(300, "0.000005")));
        }

        @Test
        void gpt5NanoOnPriorityFallsBackKeyByKeyWhereThePriorityRateIsMissing() {
            // input_cost_per_token_priority exists; output and cache read have no _priority key: standard rates.
            PricedCost cost = price("gpt-5-nano", TokenUsage.of(1_000, 100).withCachedTokens(400)
                    .withServiceTier(ServiceTier.PRIORITY));

            assertThat(cost.serviceTierPriced()).isTrue();
            assertThat(cost.total()).isEqualByComparingTo(sum(t(600, "0.0000025"), t(400, "5E-9"), t(100, "4E-7")));
        }

        @Test
        void o3() {
            assertTotal("o3", TokenUsage.of(5_000, 4_000).withCachedTokens(1_000).withThoughtsTokens(3_500),
                    sum(t(4_000, "0.000002"), t(1_000, "5E-7"), t(500, "0.000008"), t(3_500, "0.000008")));
        }

        @Test
        void o1() {
            assertTotal("o1", TokenUsage.of(1_000, 1_000).withThoughtsTokens(900),
                    sum(t(1_000, "0.000015"), t(1_000, "0.00006")));
        }

        @Test
        void gpt4oAudioPreviewBillsAudioAtTheAudioRatesAndTextAtTheTextRates() {
            PricedCost cost = price("gpt-4o-audio-preview", TokenUsage.of(1_000, 600).withAudioPromptTokens(700)
                    .withAudioCompletionTokens(500));

            assertThat(cost.components().input()).isEqualByComparingTo(t(300, "0.0000025"));
            assertThat(cost.components().audioInput()).isEqualByComparingTo(t(700, "0.00004"));
            assertThat(cost.components().output()).isEqualByComparingTo(t(100, "0.00001"));
            assertThat(cost.components().audioOutput()).isEqualByComparingTo(t(500, "0.00008"));
        }

        @Test
        void gptRealtime() {
            assertTotal("gpt-realtime", TokenUsage.of(2_000, 1_000).withAudioPromptTokens(1_500).withCachedTokens(200)
                            .withAudioCompletionTokens(900),
                    sum(t(300, "0.000004"), t(200, "4E-7"), t(1_500, "0.000032"), t(100, "0.000016"),
                            t(900, "0.000064")));
        }

        @Test
        void gpt41Batch() {
            assertTotal("gpt-4.1", TokenUsage.of(40_000, 2_000).withServiceTier(ServiceTier.BATCH),
                    sum(t(40_000, "0.000001"), t(2_000, "0.000004")));
        }

        @Test
        void gpt55SwitchesToItsLongContextRatesAbove272kPromptTokens() {
            TokenUsage at = TokenUsage.of(272_000, 1_000).withCachedTokens(100_000);
            TokenUsage above = TokenUsage.of(272_001, 1_000).withCachedTokens(100_000);

            assertTotal("gpt-5.5", at, sum(t(172_000, "0.000005"), t(100_000, "5E-7"), t(1_000, "0.00003")));
            PricedCost cost = price("gpt-5.5", above);
            assertThat(cost.contextTier()).isEqualTo("above_272k_tokens");
            assertThat(cost.total()).isEqualByComparingTo(
                    sum(t(172_001, "0.00001"), t(100_000, "0.000001"), t(1_000, "0.000045")));
        }

        @Test
        void textEmbedding3SmallHasAFreeOutput() {
            assertTotal("text-embedding-3-small", TokenUsage.of(8_000, 0), t(8_000, "2E-8"));
        }

        @Test
        void azureGpt4o() {
            assertTotal("azure/gpt-4o", TokenUsage.of(1_500, 300).withCachedTokens(500),
                    sum(t(1_000, "0.0000025"), t(500, "0.00000125"), t(300, "0.00001")));
        }
    }

    @Nested
    class Anthropic {
        private final TokenUsage atThreshold = TokenUsage.of(200_000, 1_000).withCachedTokens(50_000)
                .withCacheCreationTokens(20_000).withCacheCreation1hTokens(10_000);
        private final TokenUsage pastThreshold = TokenUsage.of(200_001, 1_000).withCachedTokens(50_000)
                .withCacheCreationTokens(20_000).withCacheCreation1hTokens(10_000);

        @Test
        void claudeSonnet45AtExactly200kPromptTokensPaysTheBaseRates() {
            PricedCost cost = price("claude-sonnet-4-5", atThreshold);

            assertThat(cost.contextTier()).isNull();
            assertThat(cost.components().input()).isEqualByComparingTo(t(120_000, "0.000003"));
            assertThat(cost.components().cachedInput()).isEqualByComparingTo(t(50_000, "3E-7"));
            assertThat(cost.components().cacheCreation()).isEqualByComparingTo(t(20_000, "0.00000375"));
            assertThat(cost.components().cacheCreation1h()).isEqualByComparingTo(t(10_000, "0.000006"));
            assertThat(cost.components().output()).isEqualByComparingTo(t(1_000, "0.000015"));
        }

        @Test
        void claudeSonnet45At200001PromptTokensPaysTheLongContextRatesOnTheWholeRequest() {
            PricedCost cost = price("claude-sonnet-4-5", pastThreshold);

            assertThat(cost.contextTier()).isEqualTo("above_200k_tokens");
            assertThat(cost.total()).isEqualByComparingTo(sum(t(120_001, "0.000006"), t(50_000, "6E-7"),
                    t(20_000, "0.0000075"), t(10_000, "0.000012"), t(1_000, "0.0000225")));
        }

        @Test
        void claudeOpus41() {
            assertTotal("claude-opus-4-1", TokenUsage.of(10_000, 2_000).withCachedTokens(5_000)
                            .withCacheCreationTokens(1_000).withCacheCreation1hTokens(1_000),
                    sum(t(3_000, "0.000015"), t(5_000, "0.0000015"), t(1_000, "0.00001875"), t(1_000, "0.00003"),
                            t(2_000, "0.000075")));
        }

        @Test
        void claudeHaiku45() {
            assertTotal("claude-haiku-4-5", TokenUsage.of(4_000, 400).withCachedTokens(3_000),
                    sum(t(1_000, "0.000001"), t(3_000, "1E-7"), t(400, "0.000005")));
        }

        @Test
        void claude4OpusHasNoOneHourRateSoOneHourWritesPayAnthropicsTwiceTheBaseInputRate() {
            // The feed lists no cache_creation_input_token_cost_above_1hr for it (LiteLLM bills such writes at $0);
            // Anthropic bills a 1-hour write at 2x the base input rate: 2 x 0.000015.
            PricedCost cost = price("claude-4-opus-20250514", TokenUsage.of(2_000, 100).withCacheCreation1hTokens(1_000));

            assertThat(cost.components().cacheCreation1h()).isEqualByComparingTo(t(1_000, "0.00003"));
            assertThat(cost.total()).isEqualByComparingTo(sum(t(1_000, "0.000015"), t(1_000, "0.00003"),
                    t(100, "0.000075")));
        }

        @Test
        void vertexClaudeSonnet45OnTheBatchTier() {
            assertTotal("vertex_ai/claude-sonnet-4-5", TokenUsage.of(10_000, 1_000).withServiceTier(ServiceTier.BATCH),
                    sum(t(10_000, "0.0000015"), t(1_000, "0.0000075")));
        }

        @Test
        void openrouterClaudeSonnet45() {
            assertTotal("openrouter/anthropic/claude-sonnet-4.5", TokenUsage.of(1_000, 100).withCacheCreationTokens(500),
                    sum(t(500, "0.000003"), t(500, "0.00000375"), t(100, "0.000015")));
        }
    }

    @Nested
    class Google {
        @Test
        void gemini25ProAtTheThresholdAndOneTokenPastIt() {
            TokenUsage at = TokenUsage.of(200_000, 2_000).withCachedTokens(80_000).withToolUsePromptTokens(1_000);
            TokenUsage past = TokenUsage.of(200_001, 2_000).withCachedTokens(80_000).withToolUsePromptTokens(1_000);

            assertTotal("gemini/gemini-2.5-pro", at,
                    sum(t(120_000, "0.00000125"), t(80_000, "1.25E-7"), t(1_000, "0.00000125"), t(2_000, "0.00001")));
            assertTotal("gemini/gemini-2.5-pro", past,
                    sum(t(120_001, "0.0000025"), t(80_000, "2.5E-7"), t(1_000, "0.0000025"), t(2_000, "0.000015")));
        }

        @Test
        void gemini3ProPreviewOnPriorityPastTheThresholdUsesThePriorityLongContextRates() {
            assertTotal("gemini/gemini-3-pro-preview", TokenUsage.of(250_000, 1_000).withCachedTokens(50_000)
                            .withServiceTier(ServiceTier.PRIORITY),
                    sum(t(200_000, "0.0000072"), t(50_000, "7.2E-7"), t(1_000, "0.0000324")));
        }

        @Test
        void gemini3ProPreviewOnBatchPastTheThresholdPaysHalfTheStandardLongContextRates() {
            // No *_above_200k_tokens_batches key: Gemini's batch mode bills half of every interactive rate, the
            // long-context ones included (LiteLLM's key order would bill them in full).
            assertTotal("gemini/gemini-3-pro-preview", TokenUsage.of(250_000, 1_000).withServiceTier(ServiceTier.BATCH),
                    sum(t(250_000, "0.000002"), t(1_000, "0.000009")));
        }

        @Test
        void gemini25FlashOnVertexBillsAudioAndReasoning() {
            PricedCost cost = price("gemini-2.5-flash", TokenUsage.of(10_000, 3_000).withAudioPromptTokens(4_000)
                    .withCachedTokens(2_000).withThoughtsTokens(2_500));

            assertThat(cost.components().audioInput()).isEqualByComparingTo(t(4_000, "0.000001"));
            assertThat(cost.components().reasoning()).isEqualByComparingTo(t(2_500, "0.0000025"));
            assertThat(cost.total()).isEqualByComparingTo(sum(t(4_000, "3E-7"), t(2_000, "3E-8"),
                    t(4_000, "0.000001"), t(500, "0.0000025"), t(2_500, "0.0000025")));
        }

        @Test
        void gemini20Flash() {
            assertTotal("gemini-2.0-flash", TokenUsage.of(5_000, 500).withAudioPromptTokens(1_000),
                    sum(t(4_000, "1E-7"), t(1_000, "7E-7"), t(500, "4E-7")));
        }
    }

    @Nested
    class Bedrock {
        @Test
        void claude35SonnetOnBedrockPastTheThreshold() {
            assertTotal("anthropic.claude-3-5-sonnet-20240620-v1:0", TokenUsage.of(210_000, 1_000)
                            .withCachedTokens(10_000).withCacheCreationTokens(5_000),
                    sum(t(195_000, "0.000006"), t(10_000, "6E-7"), t(5_000, "0.0000075"), t(1_000, "0.00003")));
        }

        @Test
        void claudeSonnet45InGovCloud() {
            assertTotal("bedrock/us-gov-east-1/claude-sonnet-4-5-20250929-v1:0",
                    TokenUsage.of(3_000, 300).withCachedTokens(1_000).withCacheCreation1hTokens(1_000),
                    sum(t(1_000, "0.0000036"), t(1_000, "3.6E-7"), t(1_000, "0.0000072"), t(300, "0.000018")));
        }

        @Test
        void novaPro() {
            assertTotal("amazon.nova-pro-v1:0", TokenUsage.of(1_234, 567), sum(t(1_234, "8E-7"), t(567, "0.0000032")));
        }

        @Test
        void llama3On70b() {
            assertTotal("meta.llama3-70b-instruct-v1:0", TokenUsage.of(999, 111),
                    sum(t(999, "0.00000265"), t(111, "0.0000035")));
        }
    }

    @Nested
    class OtherProviders {
        @Test
        void mistralLargeAtItsJulyPrice() {
            assertTotal("mistral/mistral-large-latest", TokenUsage.of(10_000, 2_000),
                    sum(t(10_000, "5E-7"), t(2_000, "0.0000015")));
        }

        @Test
        void codestral() {
            assertTotal("mistral/codestral-latest", TokenUsage.of(7_000, 3_000),
                    sum(t(7_000, "0.000001"), t(3_000, "0.000003")));
        }

        @Test
        void deepseekChatWithAFreeCacheWrite() {
            PricedCost cost = price("deepseek/deepseek-chat", TokenUsage.of(10_000, 1_000).withCachedTokens(6_000)
                    .withCacheCreationTokens(4_000));

            assertThat(cost.components().cacheCreation()).isZero();
            assertThat(cost.total()).isEqualByComparingTo(sum(t(6_000, "2.8E-8"), t(1_000, "4.2E-7")));
        }

        @Test
        void deepseekReasoner() {
            assertTotal("deepseek/deepseek-reasoner", TokenUsage.of(1_000, 5_000).withThoughtsTokens(4_000),
                    sum(t(1_000, "2.8E-7"), t(5_000, "4.2E-7")));
        }

        @Test
        void grok4TiersAtExactly128kTokensBecauseXaiBillsTheThresholdInclusively() {
            assertTotal("xai/grok-4-0709", TokenUsage.of(127_999, 100), sum(t(127_999, "0.000003"), t(100, "0.000015")));
            assertTotal("xai/grok-4-0709", TokenUsage.of(128_000, 100), sum(t(128_000, "0.000006"), t(100, "0.00003")));
        }

        @Test
        void grok3() {
            assertTotal("xai/grok-3", TokenUsage.of(4_000, 400).withCachedTokens(1_000),
                    sum(t(3_000, "0.000003"), t(1_000, "7.5E-7"), t(400, "0.000015")));
        }

        @Test
        void groqLlama33() {
            assertTotal("groq/llama-3.3-70b-versatile", TokenUsage.of(2_500, 900),
                    sum(t(2_500, "5.9E-7"), t(900, "7.9E-7")));
        }

        @Test
        void groqLlama31Instant() {
            assertTotal("groq/llama-3.1-8b-instant", TokenUsage.of(100_000, 10_000),
                    sum(t(100_000, "5E-8"), t(10_000, "8E-8")));
        }

        @Test
        void cohereCommandRPlus() {
            assertTotal("command-r-plus", TokenUsage.of(2_000, 200), sum(t(2_000, "0.0000025"), t(200, "0.00001")));
        }

        @Test
        void perplexityDeepResearchBillsReasoningAtItsOwnRate() {
            assertTotal("perplexity/sonar-deep-research", TokenUsage.of(1_000, 3_000).withThoughtsTokens(2_000),
                    sum(t(1_000, "0.000002"), t(1_000, "0.000008"), t(2_000, "0.000003")));
        }

        @Test
        void qwenPlusRangeTiersAt256kAnd256001() {
            assertTotal("dashscope/qwen-plus-2025-07-28", TokenUsage.of(256_000, 1_000).withThoughtsTokens(600),
                    sum(t(256_000, "4E-7"), t(400, "0.0000012"), t(600, "0.000004")));
            assertTotal("dashscope/qwen-plus-2025-07-28", TokenUsage.of(256_001, 1_000).withThoughtsTokens(600),
                    sum(t(256_001, "0.0000012"), t(400, "0.0000036"), t(600, "0.000012")));
        }

        @Test
        void theCheapestRealPriceStillCostsSomethingForOneToken() {
            assertTotal("fireworks_ai/accounts/fireworks/models/SSD-1B", TokenUsage.of(1, 0), t(1, "1.3E-10"));
        }
    }

    @Nested
    class DoubleCounting {
        @Test
        void cachedTokensAreNotAlsoBilledAtTheInputRate() {
            PricedCost allCached = price("gpt-4o", TokenUsage.of(1_000, 0).withCachedTokens(1_000));

            assertThat(allCached.components().input()).isZero();
            assertThat(allCached.total()).isEqualByComparingTo(t(1_000, "0.00000125"));
        }

        @Test
        void cacheWritesAreNotAlsoBilledAtTheInputRate() {
            PricedCost writes = price("claude-sonnet-4-5", TokenUsage.of(1_000, 0).withCacheCreationTokens(600)
                    .withCacheCreation1hTokens(400));

            assertThat(writes.components().input()).isZero();
            assertThat(writes.total()).isEqualByComparingTo(sum(t(600, "0.00000375"), t(400, "0.000006")));
        }

        @Test
        void reasoningAndAudioAreNotAlsoBilledAsTextOutput() {
            PricedCost cost = price("gpt-4o-audio-preview", TokenUsage.of(0, 1_000).withAudioCompletionTokens(1_000));
            PricedCost thinking = price("perplexity/sonar-deep-research", TokenUsage.of(0, 1_000).withThoughtsTokens(1_000));

            assertThat(cost.components().output()).isZero();
            assertThat(cost.total()).isEqualByComparingTo(t(1_000, "0.00008"));
            assertThat(thinking.components().output()).isZero();
            assertThat(thinking.total()).isEqualByComparingTo(t(1_000, "0.000003"));
        }

        @Test
        void everyTokenIsBilledExactlyOnce() {
            TokenUsage u = TokenUsage.of(10_000, 3_000).withCachedTokens(2_000).withCacheCreationTokens(1_000)
                    .withCacheCreation1hTokens(500).withAudioPromptTokens(1_500).withThoughtsTokens(1_000)
                    .withAudioCompletionTokens(700).withToolUsePromptTokens(300);
            // With every rate equal, the cost is exactly (prompt + completion + tool use) × that rate.
            PriceSnapshot flat = TestFeeds.snapshot("""
                        {"flat": {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6,
                          "cache_read_input_token_cost": 1e-6, "cache_creation_input_token_cost": 1e-6,
                          "cache_creation_input_token_cost_above_1hr": 1e-6, "input_cost_per_audio_token": 1e-6,
                          "output_cost_per_audio_token": 1e-6, "output_cost_per_reasoning_token": 1e-6}}""");

            PricedCost cost = CostCalculator.price(flat, "flat", null, 0, u);

            assertThat(cost.total()).isEqualByComparingTo(t(10_000 + 3_000 + 300, "1e-6"));
        }
    }

    @Test
    void anUnknownModelIsUnpricedWithANullCostNotZero() {
        PricedCost cost = book.price("gpt-7-turbo", "openai", AT, TokenUsage.of(1_000, 100));

        assertThat(cost.status()).isEqualTo(CostStatus.UNPRICED);
        assertThat(cost.total()).isNull();
        assertThat(cost.components()).isNull();
        assertThat(cost.reason()).isEqualTo(
                "no price for model 'gpt-7-turbo' (provider 'openai') in the price book or the overrides");
    }

    @Test
    void resolutionThroughTheBookMatchesWhatTheCallerSent() {
        PricedCost cost = book.price("openai/gpt-4o", null, AT, TokenUsage.of(1_000, 0));

        assertThat(cost.modelKey()).isEqualTo("gpt-4o");
        assertThat(cost.matchedBy()).isEqualTo(MatchKind.PROVIDER_PREFIX_STRIPPED);
        assertThat(cost.total()).isEqualByComparingTo(t(1_000, "0.0000025"));
    }

    @Test
    void theCostCommandPricesAgainstAFeedFileWithoutTouchingTheBook(@TempDir Path dir) {
        long version = book.version();
        FeedSource.File february = TestFeeds.file(dir, TestFeeds.FEB);

        PricedCost fromFile = book.pricing.cost(new CostQuery("mistral/mistral-large-latest", null, null,
                TokenUsage.of(10_000, 2_000), february.path()));
        PricedCost fromBook = book.pricing.cost(new CostQuery("mistral/mistral-large-latest", null, AT,
                TokenUsage.of(10_000, 2_000), null));

        assertThat(fromFile.total()).isEqualByComparingTo(sum(t(10_000, "0.000002"), t(2_000, "0.000006")));
        assertThat(fromFile.priceRowId()).isNull();
        assertThat(fromBook.total()).isEqualByComparingTo(sum(t(10_000, "5E-7"), t(2_000, "0.0000015")));
        assertThat(book.version()).isEqualTo(version);
    }
}
