package dev.tokenledger.pricing;

import java.util.List;

/**
 * Everything known about one model's price, for {@code pricing show}: the price book rows oldest first and
 * the overrides.
 *
 * @param model     the name asked for
 * @param modelKey  the key it resolved to (the name itself when it did not resolve)
 * @param matchedBy how it resolved; null when it did not
 */
public record ModelHistory(String model, String modelKey, MatchKind matchedBy, List<PriceWindow> prices,
                           List<PriceOverride> overrides) {
    public ModelHistory {
        prices = List.copyOf(prices);
        overrides = List.copyOf(overrides);
    }
}
