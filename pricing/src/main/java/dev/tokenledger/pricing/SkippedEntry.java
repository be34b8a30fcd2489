package dev.tokenledger.pricing;

/**
 * A feed entry that was not loaded because it is malformed, and why: for example
 * {@code input_cost_per_token is negative (-1E-6)}. The rest of the feed is still loaded.
 */
public record SkippedEntry(String modelKey, String reason) {
}
