package dev.tokenledger.pricing;

import java.math.BigDecimal;

/**
 * The cost of one call split by what was billed, in USD, each rounded HALF_EVEN to
 * {@value CostCalculator#SCALE} decimal places; {@link PricedCost#total()} is their exact sum.
 *
 * @param input          uncached text input tokens at the input rate
 * @param cachedInput    cache reads at the cache read rate
 * @param cacheCreation  5-minute cache writes at {@code cache_creation_input_token_cost}
 * @param cacheCreation1h 1-hour cache writes at {@code cache_creation_input_token_cost_above_1hr}
 * @param output         text output tokens at the output rate
 * @param reasoning      reasoning (thoughts) tokens at the reasoning rate
 * @param audioInput     audio input tokens at {@code input_cost_per_audio_token}
 * @param audioOutput    audio output tokens at {@code output_cost_per_audio_token}
 * @param toolUsePrompt  tool-use prompt tokens (extra input) at the input rate
 * @param imageInput     image input tokens at {@code input_cost_per_image_token}
 * @param imageOutput    image output tokens at {@code output_cost_per_image_token}
 * @param images         images at {@code input_cost_per_image} and {@code output_cost_per_image}
 * @param webSearch      web searches at {@code search_context_cost_per_query}
 * @param seconds        seconds of audio and video at their per-second rates
 */
public record CostComponents(BigDecimal input, BigDecimal cachedInput, BigDecimal cacheCreation,
                             BigDecimal cacheCreation1h, BigDecimal output, BigDecimal reasoning,
                             BigDecimal audioInput, BigDecimal audioOutput, BigDecimal toolUsePrompt,
                             BigDecimal imageInput, BigDecimal imageOutput, BigDecimal images, BigDecimal webSearch,
                             BigDecimal seconds) {

    /** The exact sum of the components. */
    public BigDecimal sum() {
        return input.add(cachedInput).add(cacheCreation).add(cacheCreation1h).add(output).add(reasoning)
                .add(audioInput).add(audioOutput).add(toolUsePrompt).add(imageInput).add(imageOutput).add(images)
                .add(webSearch).add(seconds);
    }
}
