package dev.tokenledger.usage;

import java.math.BigDecimal;

/**
 * The price of one event, split by component, at scale 12. For an unpriced event every amount is null
 * (unknown, not zero) and the usage is still written.
 *
 * @param image             image tokens and images priced per image
 * @param webSearch         web searches
 * @param seconds           seconds of audio and video priced per second
 * @param pricingModel      the price-book key that matched ("" when unpriced)
 * @param pricingId         the model_pricing row used (0 when none)
 * @param pricingOverrideId the model_pricing_override row used (0 when none)
 * @param basis             what else the price rests on (how the name matched, why unpriced, flags)
 */
public record EventCost(Status status, BigDecimal input, BigDecimal cachedInput, BigDecimal cacheCreation,
                        BigDecimal output, BigDecimal reasoning, BigDecimal audio, BigDecimal toolUse,
                        BigDecimal image, BigDecimal webSearch, BigDecimal seconds,
                        BigDecimal total, String pricingModel, long pricingId, long pricingOverrideId, Basis basis) {

    /**
     * What a price rests on besides its price row, stored with the row (llm_usage and llm_usage_adjustment) so a
     * number can be traced and counted: how the model's name matched its key ({@code exact}, {@code alias},
     * {@code version_suffix_stripped}, ...; "" when unpriced by name), why it is unpriced ({@code unknown_model},
     * {@code no_cache_write_1h_rate}, ...; "" when priced), and its flags, comma-separated and sorted
     * ({@code unknown_service_tier}; "" when none).
     */
    public record Basis(String match, String unpricedReason, String flags) {
        /** Nothing known: a row read back without these columns. */
        public static final Basis NONE = new Basis("", "", "");

        public Basis {
            match = match == null ? "" : match;
            unpricedReason = unpricedReason == null ? "" : unpricedReason;
            flags = flags == null ? "" : flags;
        }
    }

    /** ClickHouse's Enum8 values of cost_status. */
    public enum Status {
        PRICED(1), UNPRICED(2), OVERRIDE(3);

        private final int code;

        Status(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    public static EventCost unpriced() {
        return unpriced(Basis.NONE);
    }

    public static EventCost unpriced(Basis basis) {
        return new EventCost(Status.UNPRICED, null, null, null, null, null, null, null, null, null, null, null, "", 0,
                0, basis);
    }
}
