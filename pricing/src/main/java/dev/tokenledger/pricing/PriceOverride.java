package dev.tokenledger.pricing;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An admin override: for {@code [validFrom, validTo)} its cost keys replace the feed's keys of the same
 * name for {@code modelKey} (other keys still come from the feed). A model the feed does not know is
 * priced from the override alone (a private or fine-tuned model).
 *
 * @param validTo null while open
 */
public record PriceOverride(long id, String modelKey, String provider, Instant validFrom, Instant validTo,
                            SortedMap<String, BigDecimal> costs, String note, Instant createdAt) {
    public PriceOverride {
        costs = Collections.unmodifiableSortedMap(new TreeMap<>(costs));
    }
}
