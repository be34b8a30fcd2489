package dev.tokenledger.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The providers' billing rules LiteLLM's keys alone do not give (docs/pricing.md, "Which rate each component
 * uses"), on the bundled 2026-07-24 LiteLLM file through the real path. Each expected value is computed here
 * from the file's numbers and the provider's documented rule, never by the code under test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PricingFidelityTest {
    private static final Instant AT = Instant.parse("2026-07-25T12:00:00Z");

    private TestBook book;

    @BeforeAll
    void loadTheBundledSnapshot() {
        book = TestBook.fresh("fidelity", AT);
        assertThat(book.pricing.applyBundledSnapshotIfEmpty()).isPresent();
    }

    @AfterAll
    void close() {
        book.close();
    }

    private static BigDecimal t(long tokens, String rate) {
        return new BigDecimal(rate).multiply(BigDecimal.valueOf(tokens));
    }

    private static BigDecimal half(BigDecimal v) {
        return v.multiply(new BigDecimal("0.5"));
    }

    private static BigDecimal sum(BigDecimal... parts) {
        BigDecimal total = BigDecimal.ZERO;
        for (BigDecimal p : parts) {
            total = total.add(p);
        }
        return total;
    }

    private PricedCost price(String model, String provider, TokenUsage usage) {
        PricedCost cost = book.price(model, provider, AT, usage);
        assertThat(cost.isPriced()).as("%s: %s", model, cost.reason()).isTrue();
        assertThat(cost.total()).isEqualTo(cost.components().sum());
        return cost;
    }

    @Nested
    class ServiceTierNames {
        private final TokenUsage gpt5Call = TokenUsage.of(2_000, 800).withCachedTokens(1_000);
        // gpt-5: input 1.25e-06, cache read 1.25e-07, output 1e-05; _priority 2.5e-06 / 2.5e-07 / 2e-05;
        // _flex 6.25e-07 / 6.25e-08 / 5e-06.
        private final BigDecimal standard = sum(t(1_000, "1.25e-06"), t(1_000, "1.25e-07"), t(800, "1e-05"));
        private final BigDecimal priority = sum(t(1_000, "2.5e-06"), t(1_000, "2.5e-07"), t(800, "2e-05"));

        @Test
        void openAisDefaultAutoAndScaleAreTheStandardRatesUnflagged() {
            for (String name : List.of("default", "auto", "scale", "Default", "standard")) {
                PricedCost cost = price("gpt-5", null, gpt5Call.withServiceTier(ServiceTier.of(name)));
                assertThat(cost.total()).as(name).isEqualByComparingTo(standard);
                assertThat(cost.flags()).as(name).isEmpty();
            }
        }

        @Test
        void fastIsOpenAisNameForPriorityAndIsPricedWithThePriorityKeys() {
            for (String name : List.of("priority", "fast", "FAST")) {
                assertThat(price("gpt-5", null, gpt5Call.withServiceTier(ServiceTier.of(name))).total()).as(name)
                        .isEqualByComparingTo(priority);
            }
        }

        @Test
        void flexIsPricedWithTheFlexKeys() {
            assertThat(price("gpt-5", null, gpt5Call.withServiceTier(ServiceTier.of("flex"))).total())
                    .isEqualByComparingTo(sum(t(1_000, "6.25e-07"), t(1_000, "6.25e-08"), t(800, "5e-06")));
        }

        @Test
        void anUnknownTierNameIsPricedAtTheStandardRatesAndFlagged() {
            PricedCost cost = price("gpt-5", null, gpt5Call.withServiceTier(ServiceTier.of("ultrafast")));

            assertThat(cost.total()).isEqualByComparingTo(standard);
            assertThat(cost.flags()).containsExactly(PricingFlag.UNKNOWN_SERVICE_TIER);
            assertThat(cost.serviceTier()).isEqualTo(ServiceTier.UNKNOWN);
        }

        @Test
        void anthropicsPriorityTierOnAModelWithoutPriorityKeysIsPricedAtStandardRatesAndFlagged() {
            // Anthropic's usage.service_tier = "priority": the feed lists no _priority key for any Claude entry.
            PricedCost cost = price("claude-sonnet-4-5", null, TokenUsage.of(1_000, 100)
                    .withServiceTier(ServiceTier.of("priority")));

            assertThat(cost.total()).isEqualByComparingTo(sum(t(1_000, "3e-06"), t(100, "1.5e-05")));
            assertThat(cost.flags()).containsExactly(PricingFlag.SERVICE_TIER_NOT_PRICED);
        }
    }

    @Nested
    class OneHourCacheWrites {
        @Test
        void aClaudeModelWithAOneHourKeyPaysIt() {
            // claude-sonnet-4-5: input 3e-06, 5m write 3.75e-06, 1h write 6e-06, output 1.5e-05.
            PricedCost cost = price("claude-sonnet-4-5", null, TokenUsage.of(3_000, 100).withCacheCreationTokens(1_000)
                    .withCacheCreation1hTokens(1_500));

            assertThat(cost.components().cacheCreation()).isEqualByComparingTo(t(1_000, "3.75e-06"));
            assertThat(cost.components().cacheCreation1h()).isEqualByComparingTo(t(1_500, "6e-06"));
            assertThat(cost.total()).isEqualByComparingTo(sum(t(500, "3e-06"), t(1_000, "3.75e-06"),
                    t(1_500, "6e-06"), t(100, "1.5e-05")));
        }

        @Test
        void aClaudeModelWithoutAOneHourKeyPaysTwiceItsBaseInputRateNotTheFiveMinuteRate() {
            // anthropic.claude-3-haiku-20240307-v1:0 (Bedrock): input 2.5e-07, 5m write 3.125e-07, no 1h key.
            // Anthropic: 1h writes 2x base input = 5e-07 (the 5-minute rate would under-bill by 37.5%).
            PricedCost cost = price("anthropic.claude-3-haiku-20240307-v1:0", null, TokenUsage.of(10_000, 0)
                    .withCacheCreation1hTokens(10_000));

            assertThat(cost.components().cacheCreation1h()).isEqualByComparingTo(t(10_000, "5e-07"));
            assertThat(cost.total()).isEqualByComparingTo(t(10_000, "5e-07"));
        }

        @Test
        void pastTheLongContextThresholdTheOneHourKeyOfThatTierApplies() {
            // claude-sonnet-4-5 above 200k: cache_creation_input_token_cost_above_1hr_above_200k_tokens 1.2e-05,
            // input 6e-06, output 2.25e-05.
            PricedCost cost = price("claude-sonnet-4-5", null, TokenUsage.of(250_000, 10)
                    .withCacheCreation1hTokens(100_000));

            assertThat(cost.components().cacheCreation1h()).isEqualByComparingTo(t(100_000, "1.2e-05"));
            assertThat(cost.total()).isEqualByComparingTo(sum(t(150_000, "6e-06"), t(100_000, "1.2e-05"),
                    t(10, "2.25e-05")));
        }
    }

    @Nested
    class BatchWithCache {
        @Test
        void openAiBatchCacheReadsPayHalfTheCacheReadRate() {
            // gpt-4o: batches 1.25e-06 / 5e-06; cache read 1.25e-06 with no _batches key: 0.5 x 1.25e-06.
            PricedCost cost = price("gpt-4o", null, TokenUsage.of(10_000, 500).withCachedTokens(4_000)
                    .withServiceTier(ServiceTier.BATCH));

            assertThat(cost.components().cachedInput()).isEqualByComparingTo(half(t(4_000, "1.25e-06")));
            assertThat(cost.total()).isEqualByComparingTo(sum(t(6_000, "1.25e-06"), half(t(4_000, "1.25e-06")),
                    t(500, "5e-06")));
            assertThat(cost.flags()).isEmpty();
        }

        @Test
        void openAiBatchCacheWritesPayHalfTheCacheWriteRate() {
            // gpt-5.6: batches 2.5e-06 / 1.5e-05; cache read 5e-07 and write 6.25e-06, neither with a _batches key.
            PricedCost cost = price("gpt-5.6", null, TokenUsage.of(10_000, 1_000).withCachedTokens(3_000)
                    .withCacheCreationTokens(2_000).withServiceTier(ServiceTier.of("batch")));

            assertThat(cost.total()).isEqualByComparingTo(sum(t(5_000, "2.5e-06"), half(t(3_000, "5e-07")),
                    half(t(2_000, "6.25e-06")), t(1_000, "1.5e-05")));
        }

        @Test
        void anthropicBatchBillsEveryComponentAtHalfThoughTheFeedListsNoBatchKeysForClaude() {
            // Anthropic: "All usage is charged at 50% of standard API prices", cache multipliers included.
            PricedCost cost = price("claude-sonnet-4-5", null, TokenUsage.of(10_000, 2_000).withCachedTokens(4_000)
                    .withCacheCreationTokens(1_000).withCacheCreation1hTokens(2_000)
                    .withServiceTier(ServiceTier.of("batch")));

            assertThat(cost.components().input()).isEqualByComparingTo(half(t(3_000, "3e-06")));
            assertThat(cost.components().cachedInput()).isEqualByComparingTo(half(t(4_000, "3e-07")));
            assertThat(cost.components().cacheCreation()).isEqualByComparingTo(half(t(1_000, "3.75e-06")));
            assertThat(cost.components().cacheCreation1h()).isEqualByComparingTo(half(t(2_000, "6e-06")));
            assertThat(cost.components().output()).isEqualByComparingTo(half(t(2_000, "1.5e-05")));
            assertThat(cost.flags()).isEmpty();
        }

        @Test
        void vertexClaudeBatchUsesItsBatchKeysAndHalvesTheCacheRates() {
            // vertex_ai/claude-sonnet-4-5: batches 1.5e-06 / 7.5e-06; cache read 3e-07 (no _batches key).
            PricedCost cost = price("vertex_ai/claude-sonnet-4-5", null, TokenUsage.of(10_000, 1_000)
                    .withCachedTokens(5_000).withServiceTier(ServiceTier.BATCH));

            assertThat(cost.total()).isEqualByComparingTo(sum(t(5_000, "1.5e-06"), half(t(5_000, "3e-07")),
                    t(1_000, "7.5e-06")));
        }

        @Test
        void aModelWithoutBatchRatesThatIsNotClaudeIsPricedAtStandardRatesAndFlagged() {
            // gpt-5 lists no _batches key: whether its provider batches it is not in the feed.
            PricedCost cost = price("gpt-5", null, TokenUsage.of(1_000, 100).withCachedTokens(500)
                    .withServiceTier(ServiceTier.BATCH));

            assertThat(cost.total()).isEqualByComparingTo(sum(t(500, "1.25e-06"), t(500, "1.25e-07"),
                    t(100, "1e-05")));
            assertThat(cost.flags()).containsExactly(PricingFlag.SERVICE_TIER_NOT_PRICED);
        }
    }

    @Nested
    class ModelNames {
        private PricedCost priceName(String model, String provider) {
            return price(model, provider, TokenUsage.of(1_000, 100));
        }

        @Test
        void aDatedNameTheFeedListsIsPricedAsItselfExactly() {
            PricedCost cost = priceName("claude-sonnet-4-5-20250929", null);

            assertThat(cost.modelKey()).isEqualTo("claude-sonnet-4-5-20250929");
            assertThat(cost.matchedBy()).isEqualTo(MatchKind.EXACT);
        }

        @Test
        void aDatedSnapshotTheFeedDoesNotListIsPricedAsItsBaseModelAndSaysSo() {
            PricedCost anthropic = priceName("claude-sonnet-4-5-20991231", null);
            PricedCost openAi = priceName("gpt-4o-2099-01-01", "openai");
            PricedCost prefixed = priceName("openai/gpt-4o-2099-01-01", null);

            assertThat(anthropic.modelKey()).isEqualTo("claude-sonnet-4-5");
            assertThat(anthropic.matchedBy()).isEqualTo(MatchKind.VERSION_SUFFIX_STRIPPED);
            assertThat(anthropic.total()).isEqualByComparingTo(sum(t(1_000, "3e-06"), t(100, "1.5e-05")));
            assertThat(openAi.modelKey()).isEqualTo("gpt-4o");
            assertThat(openAi.matchedBy()).isEqualTo(MatchKind.VERSION_SUFFIX_STRIPPED);
            assertThat(prefixed.modelKey()).isEqualTo("gpt-4o");
        }

        @Test
        void vertexsAtVersionLabelIsKeptWhereTheFeedListsItAndDroppedWhereItDoesNot() {
            PricedCost withProvider = priceName("claude-sonnet-4-5@20250929", "vertex_ai");
            PricedCost bare = priceName("claude-sonnet-4-5@20250929", null);

            assertThat(withProvider.modelKey()).isEqualTo("vertex_ai/claude-sonnet-4-5@20250929");
            assertThat(withProvider.matchedBy()).isEqualTo(MatchKind.PROVIDER_PREFIX_ADDED);
            assertThat(bare.modelKey()).isEqualTo("claude-sonnet-4-5");
            assertThat(bare.matchedBy()).isEqualTo(MatchKind.VERSION_SUFFIX_STRIPPED);
        }

        @Test
        void geminisResourceNamesAndStableVersionsResolveToTheModel() {
            PricedCost api = priceName("models/gemini-2.5-pro", null);
            PricedCost vertex = priceName("projects/p-1/locations/us-central1/publishers/google/models/gemini-2.5-pro",
                    null);
            PricedCost stable = priceName("gemini-2.5-pro-002", null);

            assertThat(api.modelKey()).isEqualTo("gemini-2.5-pro");
            assertThat(api.matchedBy()).isEqualTo(MatchKind.RESOURCE_NAME_STRIPPED);
            assertThat(vertex.modelKey()).isEqualTo("gemini-2.5-pro");
            assertThat(stable.modelKey()).isEqualTo("gemini-2.5-pro");
            assertThat(stable.matchedBy()).isEqualTo(MatchKind.VERSION_SUFFIX_STRIPPED);
        }

        @Test
        void bedrockIdsResolveAsTheFeedListsThemRegionalPrefixIncluded() {
            PricedCost us = priceName("us.anthropic.claude-sonnet-4-5-20250929-v1:0", null);

            assertThat(us.matchedBy()).isEqualTo(MatchKind.EXACT);
            // The US cross-region profile is priced at 1.1x: input 3.3e-06.
            assertThat(us.components().input()).isEqualByComparingTo(t(1_000, "3.3e-06"));
        }

        @Test
        void aRegionalIdTheFeedDoesNotListIsNotGuessedFromAnotherRegion() {
            PricedCost apac = book.price("apac.anthropic.claude-sonnet-4-5-20250929-v1:0", null, AT,
                    TokenUsage.of(1_000, 100));

            assertThat(apac.status()).isEqualTo(CostStatus.UNPRICED);
            assertThat(apac.unpricedReason()).isEqualTo(UnpricedReason.UNKNOWN_MODEL);
        }
    }

    @Nested
    class Aliases {
        @Test
        void anAliasPricesItsNameAsItsModelInItsWindowOnlyAndBackPricesWhatWasRecordedBefore() {
            List<PriceChange> heard = new ArrayList<>();
            book.pricing.onPriceChange(heard::add);
            Instant from = AT.minus(Duration.ofHours(2));
            TokenUsage call = TokenUsage.of(1_000, 100);

            assertThat(book.price("acme-gpt4o-prod", null, from, call).unpricedReason())
                    .isEqualTo(UnpricedReason.UNKNOWN_MODEL);
            ModelAlias alias = book.pricing.setAlias(new AliasRequest("acme-gpt4o-prod", "gpt-4o", from,
                    "Azure deployment name", "test"));

            PricedCost before = book.price("acme-gpt4o-prod", null, from.minusMillis(1), call);
            PricedCost in = book.price("ACME-GPT4O-PROD", null, from, call);
            assertThat(before.status()).isEqualTo(CostStatus.UNPRICED);
            assertThat(in.modelKey()).isEqualTo("gpt-4o");
            assertThat(in.matchedBy()).isEqualTo(MatchKind.ALIAS);
            assertThat(in.total()).isEqualByComparingTo(sum(t(1_000, "2.5e-06"), t(100, "1e-05")));
            assertThat(heard).singleElement().satisfies(c -> {
                assertThat(c.models()).containsExactly("acme-gpt4o-prod");
                assertThat(c.since()).isEqualTo(from);
            });

            Instant end = AT.minus(Duration.ofHours(1));
            assertThat(book.pricing.endAlias("acme-gpt4o-prod", end)).get().extracting(ModelAlias::validTo)
                    .isEqualTo(end);
            assertThat(book.price("acme-gpt4o-prod", null, end, call).status()).isEqualTo(CostStatus.UNPRICED);
            assertThat(book.price("acme-gpt4o-prod", null, end.minusMillis(1), call).isPriced()).isTrue();
            assertThat(book.pricing.aliases()).extracting(ModelAlias::id).contains(alias.id());
            assertThat(heard).hasSize(2);
        }

        @Test
        void anotherProcessSeesANewAliasOnItsNextCheck() {
            Pricing other = book.anotherProcess();
            try {
                book.pricing.setAlias(new AliasRequest("team-haiku", "claude-haiku-4-5", AT.minusSeconds(60),
                        "the team's name for it", "test"));

                assertThat(other.priceEvent("team-haiku", null, AT.toEpochMilli(), TokenUsage.of(1, 1)).isPriced())
                        .isFalse();
                assertThat(other.reloadIfChanged()).isTrue();
                assertThat(other.priceEvent("team-haiku", null, AT.toEpochMilli(), TokenUsage.of(1, 1)).matchedBy())
                        .isEqualTo(MatchKind.ALIAS);
            } finally {
                other.close();
            }
        }

        @Test
        void anAliasOfAListedNameOrToAnUnlistedModelIsRefusedWithTheReason() {
            assertThatThrownBy(() -> book.pricing.setAlias(new AliasRequest("gpt-4o", "gpt-4o-mini", null, "x", "t")))
                    .hasMessageContaining("'gpt-4o' is a price book model itself");
            assertThatThrownBy(() -> book.pricing.setAlias(new AliasRequest("my-model", "gpt-9", null, "x", "t")))
                    .hasMessageContaining("model 'gpt-9' is not a price book key");
            assertThatThrownBy(() -> book.pricing.setAlias(new AliasRequest("my-model", "GPT-4o", null, "x", "t")))
                    .hasMessageContaining("did you mean 'gpt-4o'?");
            assertThatThrownBy(() -> new AliasRequest("a", "A", null, "x", "t")).hasMessageContaining("of itself");
            assertThatThrownBy(() -> new AliasRequest("a", "gpt-4o", null, " ", "t")).hasMessageContaining("note");
        }
    }

    @Test
    void aFlaggedOrUnpricedResultCarriesItsCodeAndNeverAZeroCost() {
        PricedCost unknown = book.price("no-such-model-anywhere", null, AT, TokenUsage.of(10, 10));

        assertThat(unknown.unpricedReason()).isEqualTo(UnpricedReason.UNKNOWN_MODEL);
        assertThat(unknown.total()).isNull();
        assertThat(unknown.flags()).isEqualTo(Set.of());
        assertThat(book.price(" ", null, AT, TokenUsage.of(1, 1)).unpricedReason()).isEqualTo(UnpricedReason.NO_MODEL);
    }
}
