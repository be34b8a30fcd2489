package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class UsageEventTest {

    @Test
    void totalTokensDefaultsToPromptPlusCompletionPlusToolUse() {
        UsageEvent e = TestEvents.event().promptTokens(100).completionTokens(20).cachedTokens(0)
                .toolUsePromptTokens(5).build();
        assertThat(e.totalTokens()).isEqualTo(125);
    }

    @Test
    void everyBadFieldIsReportedByNameInOneError() {
        assertThatThrownBy(() -> TestEvents.event().eventId(null).model(" ").promptTokens(-1)
                .completionTokens(UsageEvent.MAX_TOKENS + 1).build())
                .isInstanceOfSatisfying(InvalidUsageEventException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field)
                        .containsExactlyInAnyOrder("event_id", "model", "prompt_tokens", "completion_tokens"));
    }

    @Test
    void anyServiceTierNameIsAcceptedAndKeptAsSentSinceUsageIsNeverRefusedForALabel() {
        for (String tier : List.of("default", "auto", "scale", "Priority", "fast", "on_demand", "gold")) {
            assertThat(TestEvents.event().serviceTier(tier).build().serviceTier()).isEqualTo(tier);
        }
        assertThatThrownBy(() -> TestEvents.event().serviceTier("x".repeat(257)).build())
                .isInstanceOfSatisfying(InvalidUsageEventException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field).containsExactly("service_tier"));
    }

    @Test
    void aTotalThatDisagreesWithItsPartsIsRejectedNamingBoth() {
        assertThatThrownBy(() -> TestEvents.event().promptTokens(100).completionTokens(20).cachedTokens(0)
                .totalTokens(999L).build())
                .isInstanceOfSatisfying(InvalidUsageEventException.class, e -> assertThat(e.errors())
                        .containsExactly(new FieldError("total_tokens",
                                "must equal prompt + completion + tool_use_prompt tokens (120), got 999")));
    }

    @Test
    void cachedTokensCannotExceedThePromptTheyArePartOf() {
        assertThatThrownBy(() -> TestEvents.event().promptTokens(100).cachedTokens(80).cacheCreationTokens(30).build())
                .isInstanceOfSatisfying(InvalidUsageEventException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field).containsExactly("prompt_tokens"));
    }

    @Test
    void reasoningTokensCannotExceedTheCompletionTheyArePartOf() {
        assertThatThrownBy(() -> TestEvents.event().completionTokens(10).thoughtsTokens(11).build())
                .isInstanceOfSatisfying(InvalidUsageEventException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field).containsExactly("completion_tokens"));
    }

    @Test
    void oversizeStringsAndNulCharactersAreRejected() {
        assertThatThrownBy(() -> TestEvents.event().userId("u".repeat(257)).sessionId("a\0b").build())
                .isInstanceOfSatisfying(InvalidUsageEventException.class, e -> assertThat(e.errors()).containsExactly(
                        new FieldError("user_id", "must be at most 256 characters, got 257"),
                        new FieldError("session_id", "must not contain NUL characters")));
    }

    /**
     * Regression (found by the bad-input fuzzing): text with an unpaired UTF-16 surrogate was accepted and
     * stored as '?' by PostgreSQL and ClickHouse, so the ledger silently held a different model or user name.
     */
    @Test
    void textThatIsNotValidUnicodeIsRejectedInsteadOfBeingStoredChanged() {
        assertThatThrownBy(() -> TestEvents.event().model("gpt-\uD800").agentId("x\uDC00y").build())
                .isInstanceOfSatisfying(InvalidUsageEventException.class, e -> assertThat(e.errors()).containsExactly(
                        new FieldError("model", "must be valid Unicode text (unpaired surrogate U+D800 at index 4)"),
                        new FieldError("agent_id", "must be valid Unicode text (unpaired surrogate U+DC00 at index 1)")));
        UsageEvent emoji = TestEvents.event().userId("\uD83D\uDE00 user").build(); // a surrogate pair is fine
        assertThat(emoji.userId()).isEqualTo("😀 user");
    }

    @Test
    void missingOptionalTextBecomesEmptyAndTheTierDefaultsToStandard() {
        UsageEvent e = TestEvents.event().agentId(null).provider(null).serviceTier(null).build();
        assertThat(List.of(e.agentId(), e.provider())).containsOnly("");
        assertThat(e.serviceTier()).isEqualTo("standard");
    }
}
