package dev.tokenledger.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TokenUsageTest {

    @Test
    void promptPartsMayFillButNotExceedThePrompt() {
        TokenUsage full = TokenUsage.of(1000, 10).withCachedTokens(700).withCacheCreationTokens(200)
                .withCacheCreation1hTokens(50).withAudioPromptTokens(50);
        assertThat(full.textPromptTokens()).isZero();

        assertThatThrownBy(() -> full.withAudioPromptTokens(51))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cachedTokens (700) + cacheCreationTokens (200) + cacheCreation1hTokens (50)"
                        + " + audioPromptTokens (51) + imagePromptTokens (0) = 1001 must not exceed promptTokens (1000)");
    }

    @Test
    void completionPartsMayNotExceedTheCompletion() {
        assertThatThrownBy(() -> TokenUsage.of(10, 100).withThoughtsTokens(80).withAudioCompletionTokens(21))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("thoughtsTokens (80) + audioCompletionTokens (21) + imageCompletionTokens (0) = 101"
                        + " must not exceed completionTokens (100)");
    }

    @Test
    void toolUsePromptTokensAreExtraInputOutsideThePrompt() {
        TokenUsage usage = TokenUsage.of(100, 0).withToolUsePromptTokens(500);
        assertThat(usage.textPromptTokens()).isEqualTo(100);
    }

    @Test
    void negativeCountsAreRejectedNamingTheField() {
        assertThatThrownBy(() -> TokenUsage.of(10, 10).withCachedTokens(-1))
                .hasMessage("cachedTokens must be >= 0, got -1");
        assertThatThrownBy(() -> TokenUsage.of(-5, 0)).hasMessage("promptTokens must be >= 0, got -5");
    }

    @Test
    void serviceTierNamesParseCaseInsensitivelyAndBlankMeansStandard() {
        assertThat(ServiceTier.parse("Priority")).isEqualTo(ServiceTier.PRIORITY);
        assertThat(ServiceTier.parse(" ")).isEqualTo(ServiceTier.STANDARD);
        assertThat(ServiceTier.parse(null)).isEqualTo(ServiceTier.STANDARD);
        assertThatThrownBy(() -> ServiceTier.parse("turbo"))
                .hasMessageContaining("serviceTier must be one of standard, default, auto, scale, on_demand, batch,"
                        + " batches, priority, fast, on_demand_priority, flex; got 'turbo'");
    }

    @Test
    void everyTierNameAProviderDocumentsMapsToItsPriceTierAndAnyOtherIsUnknownNeverRefused() {
        // OpenAI's response service_tier values, Anthropic's usage.service_tier, LiteLLM's fast, Gemini's traffic types.
        for (String standard : new String[] {"default", "auto", "scale", "standard", "STANDARD", " Default ",
                "on_demand", "ON_DEMAND"}) {
            assertThat(ServiceTier.of(standard)).as(standard).isEqualTo(ServiceTier.STANDARD);
        }
        assertThat(ServiceTier.of("flex")).isEqualTo(ServiceTier.FLEX);
        assertThat(ServiceTier.of("priority")).isEqualTo(ServiceTier.PRIORITY);
        assertThat(ServiceTier.of("fast")).isEqualTo(ServiceTier.PRIORITY);
        assertThat(ServiceTier.of("ON_DEMAND_PRIORITY")).isEqualTo(ServiceTier.PRIORITY);
        assertThat(ServiceTier.of("batch")).isEqualTo(ServiceTier.BATCH);
        assertThat(ServiceTier.of("Batch")).isEqualTo(ServiceTier.BATCH);
        assertThat(ServiceTier.of("ultrafast")).isEqualTo(ServiceTier.UNKNOWN);
        assertThat(ServiceTier.of("turbo-2027")).isEqualTo(ServiceTier.UNKNOWN);
        assertThat(ServiceTier.of(null)).isEqualTo(ServiceTier.STANDARD);
    }
}
