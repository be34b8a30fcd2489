package dev.tokenledger.pricing;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rates of what a call is billed for besides its tokens, from one price row; a rate is null when the model
 * lists none (a call with such a count is then unpriced, never free). They are list prices on every service tier:
 * the feed lists no tier variants of them.
 *
 * <ul>
 *   <li>web search: {@code search_context_cost_per_query.search_context_size_medium} per search. LiteLLM charges
 *       Anthropic's ({@code get_cost_for_anthropic_web_search}: medium × {@code web_search_requests}) and Gemini's
 *       searches this way, and uses medium when a request names no search context size; Anthropic: "$10 per 1,000
 *       searches".</li>
 *   <li>images: {@code input_cost_per_image} per input image, {@code output_cost_per_image} per generated image.</li>
 *   <li>seconds: audio input {@code input_cost_per_audio_per_second}, else {@code input_cost_per_second} (the
 *       transcription models' rate, e.g. {@code whisper-1}); video input {@code input_cost_per_video_per_second};
 *       audio output {@code output_cost_per_audio_per_second}, else {@code output_cost_per_second} (speech, e.g.
 *       {@code gpt-4o-mini-tts}); video output {@code output_cost_per_video_per_second}, else
 *       {@code output_cost_per_second} (e.g. {@code sora-2}, Veo).</li>
 *   <li>regional uplift: {@code regional_processing_uplift_multiplier_<geo>} (OpenAI's data residency, 1.1 on the
 *       models released from March 2026; Anthropic's {@code provider_specific_entry} {@code {"us": 1.1}} is read
 *       into the same keys by the catalog). It multiplies every token rate of a call whose {@code inference_geo}
 *       is {@code <geo>}, cache reads and writes included (LiteLLM's current rule: "the regional surcharge applies
 *       to every token type"); it does not apply to searches, images or seconds.</li>
 * </ul>
 */
record UnitRates(BigDecimal webSearch, BigDecimal inputImage, BigDecimal outputImage, BigDecimal inputAudioSecond,
                 BigDecimal inputVideoSecond, BigDecimal outputAudioSecond, BigDecimal outputVideoSecond,
                 Map<String, BigDecimal> regionalUplift) {
    static final String UPLIFT_PREFIX = "regional_processing_uplift_multiplier_";
    static final String WEB_SEARCH = "search_context_cost_per_query.search_context_size_medium";

    static UnitRates of(Map<String, BigDecimal> c) {
        Map<String, BigDecimal> uplift = new TreeMap<>();
        for (Map.Entry<String, BigDecimal> e : c.entrySet()) {
            if (e.getKey().startsWith(UPLIFT_PREFIX) && e.getValue().signum() > 0) {
                uplift.put(e.getKey().substring(UPLIFT_PREFIX.length()).toLowerCase(Locale.ROOT), e.getValue());
            }
        }
        return new UnitRates(c.get(WEB_SEARCH), c.get("input_cost_per_image"), c.get("output_cost_per_image"),
                first(c.get("input_cost_per_audio_per_second"), c.get("input_cost_per_second")),
                c.get("input_cost_per_video_per_second"),
                first(c.get("output_cost_per_audio_per_second"), c.get("output_cost_per_second")),
                first(c.get("output_cost_per_video_per_second"), c.get("output_cost_per_second")),
                Map.copyOf(uplift));
    }

    /** The multiplier of the token rates for a call run at {@code geo}, or null for none. */
    BigDecimal uplift(String geo) {
        if (geo == null || geo.isEmpty() || regionalUplift.isEmpty()) {
            return null;
        }
        BigDecimal m = regionalUplift.get(geo);
        return m == null || m.compareTo(BigDecimal.ONE) == 0 ? null : m;
    }

    private static BigDecimal first(BigDecimal a, BigDecimal b) {
        return a != null ? a : b;
    }
}
