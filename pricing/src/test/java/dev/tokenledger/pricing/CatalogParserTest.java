package dev.tokenledger.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CatalogParserTest {

    private static Catalog parse(String json) throws FeedFormatException {
        return CatalogParser.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theJulyFeedLoadsEveryModelButTheSampleSpecAndTheLastUpdatedStamp() {
        Catalog catalog = TestFeeds.catalog(TestFeeds.JUL);

        assertThat(catalog.size()).isEqualTo(2983);
        assertThat(catalog.skipped()).isEmpty();
        assertThat(catalog.entries()).doesNotContainKeys("sample_spec", "last_updated");
        assertThat(catalog.lastUpdated()).isNotBlank();
        assertThat(TestFeeds.catalog(TestFeeds.FEB).size()).isEqualTo(2609);
    }

    @Test
    void theSmallestRealPriceStaysExactlyWhatTheFileSays() {
        CatalogEntry ssd = TestFeeds.catalog(TestFeeds.JUL).entries().get("fireworks_ai/accounts/fireworks/models/SSD-1B");

        BigDecimal input = ssd.costs().get("input_cost_per_token");
        assertThat(input).isEqualTo(new BigDecimal("1.3E-10")); // equals: same value and same scale, no double involved
        assertThat(input.toPlainString()).isEqualTo("0.00000000013");
    }

    @Test
    void everyCostKeyIsKeptAndNestedCostsAreFlattenedWithDottedKeys() {
        CatalogEntry sonnet = TestFeeds.catalog(TestFeeds.JUL).entries().get("claude-sonnet-4-5");

        assertThat(sonnet.provider()).isEqualTo("anthropic");
        assertThat(sonnet.mode()).isEqualTo("chat");
        assertThat(sonnet.costs()).containsEntry("cache_creation_input_token_cost_above_1hr_above_200k_tokens",
                new BigDecimal("0.000012"));
        assertThat(sonnet.costs()).containsEntry("search_context_cost_per_query.search_context_size_low",
                new BigDecimal("0.01"));
        assertThat(sonnet.costs()).hasSize(13);
        assertThat(sonnet.attributes()).containsKeys("max_input_tokens", "supports_vision", "prompt_cache_min_tokens");
        assertThat(sonnet.attributes().get("max_input_tokens").asInt()).isEqualTo(200000);
    }

    @Test
    void theTieredPricingTableIsKeptWithTheCosts() {
        CatalogEntry qwen = TestFeeds.catalog(TestFeeds.JUL).entries().get("dashscope/qwen-plus-2025-07-28");

        assertThat(qwen.costs()).containsEntry("tiered_pricing.1.input_cost_per_token", new BigDecimal("0.0000012"))
                .containsEntry("tiered_pricing.1.range.0", new BigDecimal("256000.0"))
                .containsEntry("tiered_pricing.0.output_cost_per_reasoning_token", new BigDecimal("0.000004"));
        assertThat(qwen.attributes()).doesNotContainKey("tiered_pricing");
    }

    @Test
    void everyKindOfCostKeyInTheRealFeedsIsRecognized() {
        var keys = new java.util.TreeSet<String>();
        for (String feed : new String[] {TestFeeds.FEB, TestFeeds.JUL}) {
            TestFeeds.catalog(feed).entries().values().forEach(e -> e.costs().keySet().stream()
                    .filter(k -> !k.startsWith("tiered_pricing."))
                    .map(k -> k.split("\\.")[0]).forEach(keys::add));
        }
        // 83 kinds of cost key, and the regional uplift multipliers: OpenAI's eu and us keys (read as they are) and
        // Anthropic's provider_specific_entry {"us": 1.1} (read into the us key).
        assertThat(keys).hasSize(85).contains("input_cost_per_token_above_200k_tokens", "output_cost_per_token_flex",
                "cache_creation_input_token_cost_above_1hr", "input_cost_per_token_batches",
                "search_context_cost_per_query", "output_cost_per_reasoning_token",
                "regional_processing_uplift_multiplier_eu", "regional_processing_uplift_multiplier_us");
    }

    @Test
    void anthropicsRegionalUpliftIsReadIntoTheUpliftKeyAndItsFastModeAndOtherMembersAreNot() throws FeedFormatException {
        Catalog catalog = parse("""
                {
                  "opus": {"input_cost_per_token": 5e-6, "provider_specific_entry": {"us": 1.1, "fast": 6.0}},
                  "titan": {"input_cost_per_token": 2e-8, "provider_specific_entry": {"bedrock_invocation_schema": "v2"}},
                  "gpt": {"input_cost_per_token": 2.5e-6, "regional_processing_uplift_multiplier_eu": 1.1}
                }""");

        assertThat(catalog.entries().get("opus").costs()).containsOnlyKeys("input_cost_per_token",
                "regional_processing_uplift_multiplier_us").containsEntry("regional_processing_uplift_multiplier_us",
                new BigDecimal("1.1"));
        assertThat(catalog.entries().get("opus").attributes()).containsKey("provider_specific_entry");
        assertThat(catalog.entries().get("titan").costs()).containsOnlyKeys("input_cost_per_token");
        assertThat(catalog.entries().get("gpt").costs()).containsEntry("regional_processing_uplift_multiplier_eu",
                new BigDecimal("1.1"));
        assertThat(catalog.skipped()).isEmpty();
    }

    @Test
    void aMalformedEntryIsSkippedByNameWithItsReasonAndTheOthersLoad() throws FeedFormatException {
        Catalog catalog = parse("""
                {
                  "good": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6, "litellm_provider": "openai"},
                  "negative": {"input_cost_per_token": -1e-6},
                  "text": {"output_cost_per_token": "free"},
                  "flag": {"input_cost_per_token": true},
                  "nested": {"search_context_cost_per_query": {"search_context_size_low": "a lot"}},
                  "provider": {"input_cost_per_token": 1e-6, "litellm_provider": 42},
                  "list": [1, 2],
                  "nulls": {"input_cost_per_token": null, "output_cost_per_token": 0},
                  "last_updated": "2026-07-24"
                }
                """);

        assertThat(catalog.entries()).containsOnlyKeys("good", "nulls");
        assertThat(catalog.entries().get("nulls").costs()).containsOnlyKeys("output_cost_per_token");
        assertThat(catalog.skipped()).containsExactly(
                new SkippedEntry("negative", "input_cost_per_token is negative (-0.000001)"),
                new SkippedEntry("text", "output_cost_per_token must be a number, got the string \"free\""),
                new SkippedEntry("flag", "input_cost_per_token must be a number, got the boolean true"),
                new SkippedEntry("nested",
                        "search_context_cost_per_query.search_context_size_low must be a number, got the string \"a lot\""),
                new SkippedEntry("provider", "litellm_provider must be a string, got the number 42"),
                new SkippedEntry("list", "the entry is an array, not an object"));
        assertThat(catalog.lastUpdated()).isEqualTo("2026-07-24");
    }

    @Test
    void aTruncatedFeedFailsAsAWhole() {
        byte[] full = TestFeeds.bytes(TestFeeds.JUL);

        assertThatThrownBy(() -> CatalogParser.parse(Arrays.copyOf(full, 1_000_000)))
                .isInstanceOf(FeedFormatException.class).hasMessageContaining("truncated");
    }

    @Test
    void somethingThatIsNotAJsonObjectOfModelsFailsAsAWhole() {
        assertThatThrownBy(() -> parse("<html><body>502 Bad Gateway</body></html>"))
                .isInstanceOf(FeedFormatException.class).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> parse("[{\"gpt-4o\": {}}]"))
                .isInstanceOf(FeedFormatException.class).hasMessageContaining("not a JSON object of models");
        assertThatThrownBy(() -> parse("")).isInstanceOf(FeedFormatException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> parse("{\"a\": {}} {\"b\": {}}"))
                .isInstanceOf(FeedFormatException.class).hasMessageContaining("after its closing brace");
    }

    @Test
    void theContentHashIgnoresKeyOrderAndNumberSpellingButNotPrices() throws FeedFormatException {
        CatalogEntry a = parse("{\"m\": {\"input_cost_per_token\": 1e-05, \"max_tokens\": 10, \"mode\": \"chat\"}}")
                .entries().get("m");
        CatalogEntry b = parse("{\"m\": {\"mode\": \"chat\", \"max_tokens\": 10.0, \"input_cost_per_token\": 0.000010}}")
                .entries().get("m");
        CatalogEntry c = parse("{\"m\": {\"mode\": \"chat\", \"max_tokens\": 10, \"input_cost_per_token\": 0.000011}}")
                .entries().get("m");
        CatalogEntry d = parse("{\"m\": {\"mode\": \"chat\", \"max_tokens\": 11, \"input_cost_per_token\": 0.00001}}")
                .entries().get("m");

        assertThat(a.contentHash()).isEqualTo(b.contentHash());
        assertThat(c.contentHash()).isNotEqualTo(a.contentHash());
        assertThat(c.costsHash()).isNotEqualTo(a.costsHash());
        assertThat(d.contentHash()).isNotEqualTo(a.contentHash());
        assertThat(d.costsHash()).isEqualTo(a.costsHash());
    }
}
