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
 */
public record CostComponents(BigDecimal input, BigDecimal cachedInput, BigDecimal cacheCreation,
                             BigDecimal cacheCreation1h, BigDecimal output, BigDecimal reasoning,
                             BigDecimal audioInput, BigDecimal audioOutput, BigDecimal toolUsePrompt) {

    /** The exact sum of the components. */
    public BigDecimal sum() {
        return input.add(cachedInput).add(cacheCreation).add(cacheCreation1h).add(output).add(reasoning)
                .add(audioInput).add(audioOutput).add(toolUsePrompt);
    }
}
