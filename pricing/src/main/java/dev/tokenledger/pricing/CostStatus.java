package dev.tokenledger.pricing;

/** Whether and how an event was priced. */
public enum CostStatus {
    /** Priced from the LiteLLM price book. */
    PRICED("priced"),
    /** Priced with an admin override's keys replacing the feed's (or from the override alone). */
    OVERRIDE("override"),
    /** Not priced: the cost is null, never a made-up zero. {@link PricedCost#reason()} says why. */
    UNPRICED("unpriced");

    private final String wireName;

    CostStatus(String wireName) {
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
