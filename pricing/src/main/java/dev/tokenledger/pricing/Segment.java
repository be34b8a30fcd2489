package dev.tokenledger.pricing;

/**
 * A window {@code [from, to)} (epoch millis) of one model in which the same price book row and the same
 * override apply; the rates are resolved in advance.
 *
 * @param priceRowId {@code model_pricing.id}, null for a model priced only by an override, or when
 *                   pricing against a feed file
 * @param overrideId {@code model_pricing_override.id}, null when no override applies
 */
record Segment(long from, long to, Long priceRowId, Long overrideId, String provider, RateCard card) {
}
