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
 *       the 1-hour TTL), the audio input ({@code audioPromptTokens}) and the image input
 *       ({@code imagePromptTokens}). This is how OpenAI and Gemini
 *       report usage; Anthropic reports {@code input_tokens} without the cache counts, so Anthropic callers
 *       add {@code cache_read_input_tokens} and {@code cache_creation_input_tokens} to it.</li>
 *   <li>{@code completionTokens} is ALL output: it includes reasoning ({@code thoughtsTokens}), audio
 *       output ({@code audioCompletionTokens}) and image output ({@code imageCompletionTokens}).</li>
 *   <li>{@code toolUsePromptTokens} are EXTRA input that is not inside {@code promptTokens} (Gemini's
 *       {@code toolUsePromptTokenCount}); they are priced at the input rate.</li>
 * </ul>
 * So the uncached text input is {@code promptTokens - cachedTokens - cacheCreationTokens -
 * cacheCreation1hTokens - audioPromptTokens - imagePromptTokens} and the text output is {@code completionTokens -
 * thoughtsTokens - audioCompletionTokens - imageCompletionTokens}; each token is billed exactly once. The
 * constructor rejects parts that exceed their container, naming the fields. What a call is billed for besides
 * tokens (web searches, images, seconds of audio and video) and where it ran are its {@link BilledExtras}.
 */
public record TokenUsage(long promptTokens, long completionTokens, long cachedTokens, long cacheCreationTokens,
                         long cacheCreation1hTokens, long audioPromptTokens, long thoughtsTokens,
                         long audioCompletionTokens, long toolUsePromptTokens, ServiceTier serviceTier,
                         long imagePromptTokens, long imageCompletionTokens, BilledExtras extras) {

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
        requireNonNegative("imagePromptTokens", imagePromptTokens);
        requireNonNegative("imageCompletionTokens", imageCompletionTokens);
        extras = extras == null ? BilledExtras.NONE : extras;
        long promptParts = Math.addExact(Math.addExact(Math.addExact(cachedTokens, cacheCreationTokens),
                Math.addExact(cacheCreation1hTokens, audioPromptTokens)), imagePromptTokens);
        if (promptParts > promptTokens) {
            throw new IllegalArgumentException("cachedTokens (" + cachedTokens + ") + cacheCreationTokens ("
                    + cacheCreationTokens + ") + cacheCreation1hTokens (" + cacheCreation1hTokens
                    + ") + audioPromptTokens (" + audioPromptTokens + ") + imagePromptTokens (" + imagePromptTokens
                    + ") = " + promptParts + " must not exceed promptTokens (" + promptTokens
                    + "): promptTokens includes cache reads, cache writes, audio and image input");
        }
        long completionParts = Math.addExact(Math.addExact(thoughtsTokens, audioCompletionTokens),
                imageCompletionTokens);
        if (completionParts > completionTokens) {
            throw new IllegalArgumentException("thoughtsTokens (" + thoughtsTokens + ") + audioCompletionTokens ("
                    + audioCompletionTokens + ") + imageCompletionTokens (" + imageCompletionTokens + ") = "
                    + completionParts + " must not exceed completionTokens (" + completionTokens
                    + "): completionTokens includes reasoning, audio and image output");
        }
    }

    /** Tokens only: no image tokens, no extras. */
    public TokenUsage(long promptTokens, long completionTokens, long cachedTokens, long cacheCreationTokens,
                      long cacheCreation1hTokens, long audioPromptTokens, long thoughtsTokens,
                      long audioCompletionTokens, long toolUsePromptTokens, ServiceTier serviceTier) {
        this(promptTokens, completionTokens, cachedTokens, cacheCreationTokens, cacheCreation1hTokens,
                audioPromptTokens, thoughtsTokens, audioCompletionTokens, toolUsePromptTokens, serviceTier, 0, 0,
                BilledExtras.NONE);
    }

    /** A plain call: {@code prompt} input and {@code completion} output tokens, standard tier, no parts. */
    public static TokenUsage of(long promptTokens, long completionTokens) {
        return new TokenUsage(promptTokens, completionTokens, 0, 0, 0, 0, 0, 0, 0, ServiceTier.STANDARD);
    }

    /** Uncached text input: the prompt without cache reads, cache writes, audio and images. */
    public long textPromptTokens() {
        return promptTokens - cachedTokens - cacheCreationTokens - cacheCreation1hTokens - audioPromptTokens
                - imagePromptTokens;
    }

    /** Text output: the completion without reasoning, audio and images. */
    public long textCompletionTokens() {
        return completionTokens - thoughtsTokens - audioCompletionTokens - imageCompletionTokens;
    }

    public TokenUsage withImageTokens(long prompt, long completion) {
        return new TokenUsage(promptTokens, completionTokens, cachedTokens, cacheCreationTokens,
                cacheCreation1hTokens, audioPromptTokens, thoughtsTokens, audioCompletionTokens, toolUsePromptTokens,
                serviceTier, prompt, completion, extras);
    }

    public TokenUsage withExtras(BilledExtras e) {
        return new TokenUsage(promptTokens, completionTokens, cachedTokens, cacheCreationTokens,
                cacheCreation1hTokens, audioPromptTokens, thoughtsTokens, audioCompletionTokens, toolUsePromptTokens,
                serviceTier, imagePromptTokens, imageCompletionTokens, e);
    }

    public TokenUsage withCachedTokens(long n) {
        return new TokenUsage(promptTokens, completionTokens, n, cacheCreationTokens, cacheCreation1hTokens,
                audioPromptTokens, thoughtsTokens, audioCompletionTokens, toolUsePromptTokens, serviceTier,
                imagePromptTokens, imageCompletionTokens, extras);
    }

    public TokenUsage withCacheCreationTokens(long n) {
        return new TokenUsage(promptTokens, completionTokens, cachedTokens, n, cacheCreation1hTokens,
                audioPromptTokens, thoughtsTokens, audioCompletionTokens, toolUsePromptTokens, serviceTier,
                imagePromptTokens, imageCompletionTokens, extras);
    }

    public TokenUsage withCacheCreation1hTokens(long n) {
        return new TokenUsage(promptTokens, completionTokens, cachedTokens, cacheCreationTokens, n,
                audioPromptTokens, thoughtsTokens, audioCompletionTokens, toolUsePromptTokens, serviceTier,
                imagePromptTokens, imageCompletionTokens, extras);
    }

    public TokenUsage withAudioPromptTokens(long n) {
        return new TokenUsage(promptTokens, completionTokens, cachedTokens, cacheCreationTokens,
                cacheCreation1hTokens, n, thoughtsTokens, audioCompletionTokens, toolUsePromptTokens, serviceTier,
                imagePromptTokens, imageCompletionTokens, extras);
    }

    public TokenUsage withThoughtsTokens(long n) {
        return new TokenUsage(promptTokens, completionTokens, cachedTokens, cacheCreationTokens,
                cacheCreation1hTokens, audioPromptTokens, n, audioCompletionTokens, toolUsePromptTokens, serviceTier,
                imagePromptTokens, imageCompletionTokens, extras);
    }

    public TokenUsage withAudioCompletionTokens(long n) {
        return new TokenUsage(promptTokens, completionTokens, cachedTokens, cacheCreationTokens,
                cacheCreation1hTokens, audioPromptTokens, thoughtsTokens, n, toolUsePromptTokens, serviceTier,
                imagePromptTokens, imageCompletionTokens, extras);
    }

    public TokenUsage withToolUsePromptTokens(long n) {
        return new TokenUsage(promptTokens, completionTokens, cachedTokens, cacheCreationTokens,
                cacheCreation1hTokens, audioPromptTokens, thoughtsTokens, audioCompletionTokens, n, serviceTier,
                imagePromptTokens, imageCompletionTokens, extras);
    }

    public TokenUsage withServiceTier(ServiceTier tier) {
        return new TokenUsage(promptTokens, completionTokens, cachedTokens, cacheCreationTokens,
                cacheCreation1hTokens, audioPromptTokens, thoughtsTokens, audioCompletionTokens, toolUsePromptTokens,
                tier, imagePromptTokens, imageCompletionTokens, extras);
    }

    private static void requireNonNegative(String field, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must be >= 0, got " + value);
        }
    }
}
