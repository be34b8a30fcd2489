package dev.tokenledger.pricing;

import java.util.Locale;

/**
 * The provider's processing tier a call ran on. Each non-standard tier is priced from the LiteLLM keys
 * with its suffix ({@code input_cost_per_token_batches}, {@code _priority}, {@code _flex}); a model that
 * lists no such key for the tier is priced at its standard rates (see {@link PricedCost#serviceTierPriced()}).
 */
public enum ServiceTier {
    STANDARD("standard", ""),
    BATCH("batch", "_batches"),
    PRIORITY("priority", "_priority"),
    FLEX("flex", "_flex");

    private final String wireName;
    private final String keySuffix;

    ServiceTier(String wireName, String keySuffix) {
        this.wireName = wireName;
        this.keySuffix = keySuffix;
    }

    /** The stored, lower-case name: {@code standard}, {@code batch}, {@code priority}, {@code flex}. */
    public String wireName() {
        return wireName;
    }

    /** The suffix LiteLLM appends to a cost key for this tier; empty for standard. */
    String keySuffix() {
        return keySuffix;
    }

    /** Parses a stored or user-given name, case-insensitively; null or blank means standard. */
    public static ServiceTier parse(String name) {
        if (name == null || name.isBlank()) {
            return STANDARD;
        }
        String n = name.strip().toLowerCase(Locale.ROOT);
        for (ServiceTier tier : values()) {
            if (tier.wireName.equals(n)) {
                return tier;
            }
        }
        throw new IllegalArgumentException(
                "serviceTier must be one of standard, batch, priority, flex; got '" + name + "'");
    }

    @Override
    public String toString() {
        return wireName;
    }
}
