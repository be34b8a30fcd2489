package dev.tokenledger.usage;

import java.math.BigDecimal;

/**
 * The price of one event, split by component, at scale 12. For an unpriced event every amount is null
 * (unknown, not zero) and the usage is still written.
 *
 * @param pricingModel      the price-book key that matched ("" when unpriced)
 * @param pricingId         the model_pricing row used (0 when none)
 * @param pricingOverrideId the model_pricing_override row used (0 when none)
 */
public record EventCost(Status status, BigDecimal input, BigDecimal cachedInput, BigDecimal cacheCreation,
                        BigDecimal output, BigDecimal reasoning, BigDecimal audio, BigDecimal toolUse,
                        BigDecimal total, String pricingModel, long pricingId, long pricingOverrideId) {

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
        return new EventCost(Status.UNPRICED, null, null, null, null, null, null, null, null, "", 0, 0);
    }
}
