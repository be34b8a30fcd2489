package dev.tokenledger.pricing;

import java.time.Instant;
import java.util.List;

/**
 * Prices that changed for usage already written: what a refresh opened or an override set or ended, from when.
 * Whoever re-prices written usage (the usagewriter's Repricer) listens through {@link Pricing#onPriceChange}.
 *
 * @param models the price-book keys whose price moved
 * @param since  the first event time the change applies to; null for all time (a model new to the book: its first
 *               row is valid from -infinity, so events recorded before it was known can now be priced)
 * @param cause  what changed, in words ({@code pricing_refresh 12: 3 models added}, {@code override set ...})
 */
public record PriceChange(List<String> models, Instant since, String cause) {
    public PriceChange {
        models = List.copyOf(models);
    }
}
