package dev.tokenledger.pricing;

import java.math.BigDecimal;

/**
 * Per-token rates for one service tier at one context tier, every fallback already applied (see
 * {@link RateCard}). Only {@code input} and {@code output} can be null: the model lists no such price, and
 * then the fallbacks derived from them are null too.
 *
 * @param serviceTierPriced false when a non-standard service tier was asked for and the model lists no
 *                          rate for it, so these are its standard rates
 */
record Rates(BigDecimal input, BigDecimal cacheRead, BigDecimal cacheWrite5m, BigDecimal cacheWrite1h,
             BigDecimal output, BigDecimal reasoning, BigDecimal audioInput, BigDecimal audioOutput,
             boolean serviceTierPriced) {
}
