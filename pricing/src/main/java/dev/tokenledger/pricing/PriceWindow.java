package dev.tokenledger.pricing;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One row of the price book: the prices of a model for a window of time.
 *
 * @param validFrom       start of the window; null means {@code -infinity} (the first price known of the
 *                        model, which also applies to events before it was learned)
 * @param validTo         end of the window (exclusive); null while current
 * @param costs           every cost key of the LiteLLM entry, exact
 * @param goneSince       when the feed stopped listing the model (its last price stays valid); null if listed
 * @param openedByRefresh the {@code pricing_refresh_log} run that opened the row
 */
public record PriceWindow(long id, String modelKey, String provider, String mode, Instant validFrom, Instant validTo,
                          SortedMap<String, BigDecimal> costs, String contentHash, Instant goneSince,
                          Long openedByRefresh) {
    public PriceWindow {
        costs = Collections.unmodifiableSortedMap(new TreeMap<>(costs));
    }
}
