package dev.tokenledger.pricing;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A new override for {@code modelKey} (the exact price book key, or any name for a private model), open
 * from {@code validFrom}. It closes the model's open override at {@code validFrom}.
 *
 * @param provider  provider of a private model; may be null (then the feed's provider, if any)
 * @param validFrom when it starts applying; null means now
 * @param costs     LiteLLM cost keys and their USD values, e.g. {@code input_cost_per_token → 0.000002}
 * @param note      why (a contract, a private deployment); required
 */
public record OverrideRequest(String modelKey, String provider, Instant validFrom, Map<String, BigDecimal> costs,
                              String note) {
    public OverrideRequest {
        if (modelKey == null || modelKey.isBlank()) {
            throw new IllegalArgumentException("modelKey is required");
        }
        if (note == null || note.isBlank()) {
            throw new IllegalArgumentException("note is required: say why the price is overridden");
        }
        Objects.requireNonNull(costs, "costs");
        if (costs.isEmpty()) {
            throw new IllegalArgumentException("costs must name at least one cost key");
        }
        SortedMap<String, BigDecimal> copy = new TreeMap<>();
        costs.forEach((key, value) -> {
            if (key == null || !CatalogParser.isCostKey(key.split("\\.", 2)[0])) {
                throw new IllegalArgumentException("costs key '" + key
                        + "' is not a LiteLLM cost key (it must contain 'cost', e.g. input_cost_per_token)");
            }
            if (value == null || value.signum() < 0) {
                throw new IllegalArgumentException("costs value of '" + key + "' must be >= 0, got " + value);
            }
            copy.put(key, value);
        });
        costs = Collections.unmodifiableSortedMap(copy);
    }
}
