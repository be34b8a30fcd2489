package dev.tokenledger.pricing;

/** How a {@code pricing_refresh} run ended (the {@code outcome} column of {@code pricing_refresh_log}). */
public enum RefreshOutcome {
    /** Still running, or the process died while it ran. */
    RUNNING("running"),
    /** The feed changed the book. */
    APPLIED("applied"),
    /** The feed was read and matches the book: nothing changed. */
    UNCHANGED("unchanged"),
    /** The server answered 304 to our last ETag: nothing read, nothing changed. */
    NOT_MODIFIED("not_modified"),
    /** The feed failed a guard (not JSON, truncated, too few models, shrinks too much): book unchanged. */
    REFUSED("refused"),
    /** The feed could not be fetched, or applying it failed: book unchanged. */
    FAILED("failed");

    private final String wireName;

    RefreshOutcome(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    static RefreshOutcome parse(String wireName) {
        for (RefreshOutcome o : values()) {
            if (o.wireName.equals(wireName)) {
                return o;
            }
        }
        throw new IllegalArgumentException("unknown refresh outcome '" + wireName + "'");
    }

    /** Whether the book reflects the feed after this run. */
    public boolean isSuccess() {
        return this == APPLIED || this == UNCHANGED || this == NOT_MODIFIED;
    }

    @Override
    public String toString() {
        return wireName;
    }
}
