package dev.tokenledger.pricing;

/**
 * Something a priced call's cost rests on that a person may want to check; stored with the event
 * ({@code llm_usage.pricing_flags}) and counted by reports, {@code /ui} and {@code /metrics}. A flagged call
 * is priced, never refused.
 */
public enum PricingFlag {
    /** The service tier's name is none a provider documents (see {@link ServiceTier}): priced at standard rates. */
    UNKNOWN_SERVICE_TIER("unknown_service_tier"),
    /** The model lists no rates for the call's (known) service tier: priced at its standard rates. */
    SERVICE_TIER_NOT_PRICED("service_tier_not_priced");

    private final String wireName;

    PricingFlag(String wireName) {
        this.wireName = wireName;
    }

    /** The stored, lower-case name. */
    public String wireName() {
        return wireName;
    }

    @Override
    public String toString() {
        return wireName;
    }
}
