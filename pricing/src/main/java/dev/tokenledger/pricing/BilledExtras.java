package dev.tokenledger.pricing;

import java.math.BigDecimal;
import java.util.Locale;

/**
 * What a call is billed for besides its tokens, and where it ran. Counts are whole and never negative; seconds are
 * exact decimals with at most three places (milliseconds), never negative. Each is priced at its own rate of the
 * feed (see {@link RateCard}); a count the model lists no rate for makes the call unpriced, never free.
 *
 * @param webSearchRequests  web searches the provider billed (Anthropic's {@code server_tool_use.web_search_requests},
 *                           Gemini's grounded queries, OpenAI's web search tool calls)
 * @param inputImages        images priced per image on input ({@code input_cost_per_image})
 * @param outputImages       images generated, priced per image ({@code output_cost_per_image})
 * @param inputAudioSeconds  seconds of audio input priced per second (transcription, multimodal embeddings)
 * @param inputVideoSeconds  seconds of video input priced per second
 * @param outputAudioSeconds seconds of audio generated, priced per second (speech)
 * @param outputVideoSeconds seconds of video generated, priced per second
 * @param inferenceGeo       where the provider ran the call when it bills a regional uplift for it: Anthropic's
 *                           {@code usage.inference_geo} ({@code us}), OpenAI's data-residency region ({@code eu},
 *                           {@code us}); "" (or {@code global}) for none. Lower-cased.
 */
public record BilledExtras(long webSearchRequests, long inputImages, long outputImages, BigDecimal inputAudioSeconds,
                           BigDecimal inputVideoSeconds, BigDecimal outputAudioSeconds,
                           BigDecimal outputVideoSeconds, String inferenceGeo) {
    /** The most decimal places a number of seconds may have (milliseconds). */
    public static final int SECONDS_SCALE = 3;
    /** No seconds: shared, as nearly every call has none (pricing and recording are hot paths). */
    public static final BigDecimal NO_SECONDS = BigDecimal.ZERO.setScale(SECONDS_SCALE);
    public static final BilledExtras NONE = new BilledExtras(0, 0, 0, null, null, null, null, "");

    public BilledExtras {
        requireNonNegative("webSearchRequests", webSearchRequests);
        requireNonNegative("inputImages", inputImages);
        requireNonNegative("outputImages", outputImages);
        inputAudioSeconds = seconds("inputAudioSeconds", inputAudioSeconds);
        inputVideoSeconds = seconds("inputVideoSeconds", inputVideoSeconds);
        outputAudioSeconds = seconds("outputAudioSeconds", outputAudioSeconds);
        outputVideoSeconds = seconds("outputVideoSeconds", outputVideoSeconds);
        inferenceGeo = inferenceGeo == null ? "" : inferenceGeo.strip().toLowerCase(Locale.ROOT);
    }

    /** The extras of a call, or {@link #NONE} (no allocation) when it has none, as most calls. */
    public static BilledExtras of(long webSearchRequests, long inputImages, long outputImages,
                                  BigDecimal inputAudioSeconds, BigDecimal inputVideoSeconds,
                                  BigDecimal outputAudioSeconds, BigDecimal outputVideoSeconds, String inferenceGeo) {
        if (webSearchRequests == 0 && inputImages == 0 && outputImages == 0 && isZero(inputAudioSeconds)
                && isZero(inputVideoSeconds) && isZero(outputAudioSeconds) && isZero(outputVideoSeconds)
                && (inferenceGeo == null || inferenceGeo.isEmpty())) {
            return NONE;
        }
        return new BilledExtras(webSearchRequests, inputImages, outputImages, inputAudioSeconds, inputVideoSeconds,
                outputAudioSeconds, outputVideoSeconds, inferenceGeo);
    }

    /**
     * What is wrong with a number of seconds (negative, or finer than a millisecond), or null when nothing is: the one
     * rule for seconds, which usage events apply too.
     */
    public static String secondsProblem(BigDecimal value) {
        if (value == null) {
            return null;
        }
        if (value.signum() < 0) {
            return "must not be negative, got " + value.toPlainString();
        }
        if (value.scale() > SECONDS_SCALE && value.stripTrailingZeros().scale() > SECONDS_SCALE) {
            return "must have at most " + SECONDS_SCALE + " decimal places (milliseconds), got " + value.toPlainString();
        }
        return null;
    }

    /** Seconds without a {@linkplain #secondsProblem problem} at scale 3; null and zero are {@link #NO_SECONDS}. */
    public static BigDecimal normalizedSeconds(BigDecimal value) {
        if (value == null || value.signum() == 0) {
            return NO_SECONDS;
        }
        return value.scale() == SECONDS_SCALE ? value : value.setScale(SECONDS_SCALE);
    }

    private static boolean isZero(BigDecimal v) {
        return v == null || v.signum() == 0;
    }

    /** Whether there is anything besides tokens to price. */
    public boolean any() {
        return webSearchRequests != 0 || inputImages != 0 || outputImages != 0 || inputAudioSeconds.signum() != 0
                || inputVideoSeconds.signum() != 0 || outputAudioSeconds.signum() != 0
                || outputVideoSeconds.signum() != 0;
    }

    private static void requireNonNegative(String field, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must be >= 0, got " + value);
        }
    }

    private static BigDecimal seconds(String field, BigDecimal value) {
        String problem = secondsProblem(value);
        if (problem != null) {
            throw new IllegalArgumentException(field + " " + problem);
        }
        return normalizedSeconds(value);
    }
}
