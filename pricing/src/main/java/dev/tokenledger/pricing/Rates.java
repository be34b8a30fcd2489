package dev.tokenledger.pricing;

import java.math.BigDecimal;

/**
 * Per-token rates for one service tier at one context tier, every fallback already applied (see
 * {@link RateCard}). A rate is null when the model lists no such price and no documented rule derives one:
 * a call with such tokens is unpriced, never priced at zero.
 *
 * @param serviceTierPriced false when a non-standard service tier was asked for and the model lists no
 *                          rate for it (nor does a provider rule give one), so these are its standard rates
 */
record Rates(BigDecimal input, BigDecimal cacheRead, BigDecimal cacheWrite5m, BigDecimal cacheWrite1h,
             BigDecimal output, BigDecimal reasoning, BigDecimal audioInput, BigDecimal audioOutput,
             BigDecimal imageInput, BigDecimal imageOutput, boolean serviceTierPriced) {
}
