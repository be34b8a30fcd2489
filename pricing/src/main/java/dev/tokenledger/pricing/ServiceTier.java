package dev.tokenledger.pricing;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The price tier a call ran on. Providers name it in their responses, each in its own words; {@link #of(String)}
 * maps every documented name to a tier (the event keeps the name as sent):
 * <ul>
 *   <li>{@link #STANDARD}: {@code standard} (Anthropic), {@code default} and {@code auto} (OpenAI), {@code scale}
 *       (OpenAI Scale Tier: prepaid capacity, priced here at the list rates, as LiteLLM does), {@code on_demand}
 *       (Gemini's traffic type), and no name at all;</li>
 *   <li>{@link #BATCH}: {@code batch} (Anthropic, and a batch API call), {@code batches};</li>
 *   <li>{@link #PRIORITY}: {@code priority} (OpenAI, Anthropic), {@code fast} (OpenAI's name for priority
 *       processing since 2026-07-30; LiteLLM maps it to the {@code _priority} keys), {@code on_demand_priority}
 *       (Gemini);</li>
 *   <li>{@link #FLEX}: {@code flex} (OpenAI, Gemini).</li>
 * </ul>
 * Any other name is {@link #UNKNOWN}: the call is still recorded and priced, at the standard rates, and flagged
 * {@link PricingFlag#UNKNOWN_SERVICE_TIER}. Each non-standard tier is priced from the LiteLLM keys with its
 * suffix ({@code input_cost_per_token_batches}, {@code _priority}, {@code _flex}); see {@link RateCard}.
 */
public enum ServiceTier {
    STANDARD("standard", ""),
    BATCH("batch", "_batches"),
    PRIORITY("priority", "_priority"),
    FLEX("flex", "_flex"),
    /** A name no provider we know documents: priced at the standard rates, and flagged. */
    UNKNOWN("unknown", "");

    /** Every name a provider sends that maps to a tier, lower case. */
    private static final Map<String, ServiceTier> NAMES = Map.ofEntries(
            Map.entry("standard", STANDARD), Map.entry("default", STANDARD), Map.entry("auto", STANDARD),
            Map.entry("scale", STANDARD), Map.entry("on_demand", STANDARD),
            Map.entry("batch", BATCH), Map.entry("batches", BATCH),
            Map.entry("priority", PRIORITY), Map.entry("fast", PRIORITY), Map.entry("on_demand_priority", PRIORITY),
            Map.entry("flex", FLEX));
    /** The names {@link #NAMES} knows, for messages, in a stable order. */
    public static final List<String> KNOWN_NAMES = List.of("standard", "default", "auto", "scale", "on_demand",
            "batch", "batches", "priority", "fast", "on_demand_priority", "flex");

    private final String wireName;
    private final String keySuffix;

    ServiceTier(String wireName, String keySuffix) {
        this.wireName = wireName;
        this.keySuffix = keySuffix;
    }

    /** The tier's own name: {@code standard}, {@code batch}, {@code priority}, {@code flex}, {@code unknown}. */
    public String wireName() {
        return wireName;
    }

    /** The suffix LiteLLM appends to a cost key for this tier; empty for standard (and unknown). */
    String keySuffix() {
        return keySuffix;
    }

    /**
     * The tier of a name as a provider sends it, case-insensitively and ignoring surrounding blanks; null or
     * blank means standard, a name nobody documents {@link #UNKNOWN}. Never throws: usage is never refused for
     * its tier's name.
     */
    public static ServiceTier of(String name) {
        if (name == null || name.isBlank()) {
            return STANDARD;
        }
        ServiceTier tier = NAMES.get(name.strip().toLowerCase(Locale.ROOT));
        return tier == null ? UNKNOWN : tier;
    }

    /**
     * Like {@link #of(String)}, but refuses an unknown name, for a person asking a what-if question (the CLI's
     * {@code pricing cost --service-tier}), where a typo should be said rather than priced at standard rates.
     */
    public static ServiceTier parse(String name) {
        ServiceTier tier = of(name);
        if (tier == UNKNOWN) {
            throw new IllegalArgumentException("serviceTier must be one of " + String.join(", ", KNOWN_NAMES)
                    + "; got '" + name + "'");
        }
        return tier;
    }

    @Override
    public String toString() {
        return wireName;
    }
}
