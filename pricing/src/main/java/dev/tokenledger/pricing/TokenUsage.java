package dev.tokenledger.pricing;

import java.util.Objects;

/**
 * The token counts of one LLM call, in tokenledger's convention. Every count is a whole number of tokens,
 * never negative.
 *
 * <h2>Token convention</h2>
 * <ul>
 *   <li>{@code promptTokens} is ALL input: it includes the cache reads ({@code cachedTokens}), the cache
 *       writes ({@code cacheCreationTokens} with the 5-minute TTL and {@code cacheCreation1hTokens} with
 *       the 1-hour TTL) and the audio input ({@code audioPromptTokens}). This is how OpenAI and Gemini
 *       report usage; Anthropic reports {@code input_tokens} without the cache counts, so Anthropic callers
 *       add {@code cache_read_input_tokens} and {@code cache_creation_input_tokens} to it.</li>
 *   <li>{@code completionTokens} is ALL output: it includes reasoning ({@code thoughtsTokens}) and audio
 *       output ({@code audioCompletionTokens}).</li>
 *   <li>{@code toolUsePromptTokens} are EXTRA input that is not inside {@code promptTokens} (Gemini's
 *       {@code toolUsePromptTokenCount}); they are priced at the input rate.</li>
 * </ul>
 * So the uncached text input is {@code promptTokens - cachedTokens - cacheCreationTokens -
 * cacheCreation1hTokens - audioPromptTokens} and the text output is {@code completionTokens -
 * thoughtsTokens - audioCompletionTokens}; each token is billed exactly once. The constructor rejects
 * parts that exceed their container, naming the fields.
 */
public record TokenUsage(long promptTokens, long completionTokens, long cachedTokens, long cacheCreationTokens,
                         long cacheCreation1hTokens, long audioPromptTokens, long thoughtsTokens,
                         long audioCompletionTokens, long toolUsePromptTokens, ServiceTier serviceTier) {

    public TokenUsage {
        requireNonNegative("promptTokens", promptTokens);
        requireNonNegative("completionTokens", completionTokens);
        requireNonNegative("cachedTokens", cachedTokens);
        requireNonNegative("cacheCreationTokens", cacheCreationTokens);
        requireNonNegative("cacheCreation1hTokens", cacheCreation1hTokens);
        requireNonNegative("audioPromptTokens", audioPromptTokens);
        requireNonNegative("thoughtsTokens", thoughtsTokens);
        requireNonNegative("audioCompletionTokens", audioCompletionTokens);
        requireNonNegative("toolUsePromptTokens", toolUsePromptTokens);
        Objects.requireNonNull(serviceTier, "serviceTier (use ServiceTier.STANDARD)");
        long promptParts = Math.addExact(Math.addExact(cachedTokens, cacheCreationTokens),
                Math.addExact(cacheCreation1hTokens, audioPromptTokens));
        if (promptParts > promptTokens) {
            throw new IllegalArgumentException("cachedTokens (" + cachedTokens + ") + cacheCreationTokens ("
                    + cacheCreationTokens + ") + cacheCreation1hTokens (" + cacheCreation1hTokens
                    + ") + audioPromptTokens (" + audioPromptTokens + ") = " + promptParts
                    + " must not exceed promptTokens (" + promptTokens
                    + "): promptTokens includes cache reads, cache writes and audio input");
        }
        long completionParts = Math.addExact(thoughtsTokens, audioCompletionTokens);
        if (completionParts > completionTokens) {
            throw new IllegalArgumentException("thoughtsTokens (" + thoughtsTokens + ") + audioCompletionTokens ("
                    + audioCompletionTokens + ") = " + completionParts + " must not exceed completionTokens ("
                    + completionTokens + "): completionTokens includes reasoning and audio output");
        }
    }

    /** A plain call: {@code prompt} input and {@code completion} output tokens, standard tier, no parts. */
    public static TokenUsage of(long promptTokens, long completionTokens) {
        return new TokenUsage(promptTokens, completionTokens, 0, 0, 0, 0, 0, 0, 0, ServiceTier.STANDARD);
    }

    /** Uncached text input: the prompt without cache reads, cache writes and audio. */
    public long textPromptTokens() {
        return promptTokens - cachedTokens - cacheCreationTokens - cacheCreation1hTokens - audioPromptTokens;
    }

    /** Text output: the completion without reasoning and audio. */
    public long textCompletionTokens() {
        return completionTokens - thoughtsTokens - audioCompletionTokens;
    }

    public TokenUsage withCachedTokens(long n) {
        return new TokenUsage(promptTokens, completionTokens, n, cacheCreationTokens, cacheCreation1hTokens,
                audioPromptTokens, thoughtsTokens, audioCompletionTokens, toolUsePromptTokens, serviceTier);
    }

    public TokenUsage withCacheCreationTokens(long n) {
        return new TokenUsage(promptTokens, completionTokens, cachedTokens, n, cacheCreation1hTokens,
                audioPromptTokens, thoughtsTokens, audioCompletionTokens, toolUsePromptTokens, serviceTier);
    }

    public TokenUsage withCacheCreation1hTokens(long n) {
        return new TokenUsage(promptTokens, completionTokens, cachedTokens, cacheCreationTokens, n,
                audioPromptTokens, thoughtsTokens, audioCompletionTokens, toolUsePromptTokens, serviceTier);
    }

    public TokenUsage withAudioPromptTokens(long n) {
        return new TokenUsage(promptTokens, completionTokens, cachedTokens, cacheCreationTokens,
                cacheCreation1hTokens, n, thoughtsTokens, audioCompletionTokens, toolUsePromptTokens, serviceTier);
    }

    public TokenUsage withThoughtsTokens(long n) {
        return new TokenUsage(promptTokens, completionTokens, cachedTokens, cacheCreationTokens,
                cacheCreation1hTokens, audioPromptTokens, n, audioCompletionTokens, toolUsePromptTokens, serviceTier);
    }

    public TokenUsage withAudioCompletionTokens(long n) {
        return new TokenUsage(promptTokens, completionTokens, cachedTokens, cacheCreationTokens,
                cacheCreation1hTokens, audioPromptTokens, thoughtsTokens, n, toolUsePromptTokens, serviceTier);
    }

    public TokenUsage withToolUsePromptTokens(long n) {
        return new TokenUsage(promptTokens, completionTokens, cachedTokens, cacheCreationTokens,
                cacheCreation1hTokens, audioPromptTokens, thoughtsTokens, audioCompletionTokens, n, serviceTier);
    }

    public TokenUsage withServiceTier(ServiceTier tier) {
        return new TokenUsage(promptTokens, completionTokens, cachedTokens, cacheCreationTokens,
                cacheCreation1hTokens, audioPromptTokens, thoughtsTokens, audioCompletionTokens, toolUsePromptTokens,
                tier);
    }

    private static void requireNonNegative(String field, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must be >= 0, got " + value);
        }
    }
}
