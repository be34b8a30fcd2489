package dev.tokenledger.pricing;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Why a call is unpriced, as a code reports and {@code /metrics} can group by ({@code llm_usage.unpriced_reason});
 * {@link PricedCost#reason()} says the same in words, with the model and the counts.
 */
public enum UnpricedReason {
    /** The event names no model. */
    NO_MODEL("no_model"),
    /** No price book key, alias or documented fallback matches the model's name. */
    UNKNOWN_MODEL("unknown_model"),
    /** The model is known, but no price row or override of it is valid at the event's time. */
    NO_PRICE_AT_TIME("no_price_at_time"),
    NO_INPUT_RATE("no_input_rate"),
    NO_CACHE_READ_RATE("no_cache_read_rate"),
    NO_CACHE_WRITE_RATE("no_cache_write_rate"),
    NO_CACHE_WRITE_1H_RATE("no_cache_write_1h_rate"),
    NO_AUDIO_INPUT_RATE("no_audio_input_rate"),
    NO_OUTPUT_RATE("no_output_rate"),
    NO_REASONING_RATE("no_reasoning_rate"),
    NO_AUDIO_OUTPUT_RATE("no_audio_output_rate"),
    NO_IMAGE_INPUT_RATE("no_image_input_rate"),
    NO_IMAGE_OUTPUT_RATE("no_image_output_rate"),
    NO_WEB_SEARCH_RATE("no_web_search_rate"),
    NO_AUDIO_SECOND_RATE("no_audio_second_rate"),
    NO_VIDEO_SECOND_RATE("no_video_second_rate");

    private final String wireName;

    UnpricedReason(String wireName) {
        this.wireName = wireName;
    }

    /** The stored, lower-case code. */
    @JsonValue
    public String wireName() {
        return wireName;
    }

    @Override
    public String toString() {
        return wireName;
    }
}
