package dev.tokenledger.pricing;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Something a priced call's cost rests on that a person may want to check; stored with the event
 * ({@code llm_usage.pricing_flags}) and counted by reports, {@code /ui} and {@code /metrics}. A flagged call
 * is priced, never refused.
 */
public enum PricingFlag {
    /** The service tier's name is none a provider documents (see {@link ServiceTier}): priced at standard rates. */
    UNKNOWN_SERVICE_TIER("unknown_service_tier"),
    /** The model lists no rates for the call's (known) service tier: priced at its standard rates. */
    SERVICE_TIER_NOT_PRICED("service_tier_not_priced"),
    /**
     * The call ran where the provider bills a regional (data residency) uplift and the model lists one for its
     * {@code inference_geo}: its token components are priced at the uplifted rates. Not a problem; counted so that
     * residency's share of the bill can be seen.
     */
    REGIONAL_UPLIFT("regional_uplift");

    private final String wireName;

    PricingFlag(String wireName) {
        this.wireName = wireName;
    }

    /** The stored, lower-case name. */
    @JsonValue
    public String wireName() {
        return wireName;
    }

    @Override
    public String toString() {
        return wireName;
    }
}
