package dev.tokenledger.pricing;

import java.util.List;
import java.util.Map;

/**
 * A parsed LiteLLM feed: the models that loaded, keyed by their LiteLLM key, and the entries that were
 * skipped as malformed, each with its reason.
 *
 * @param lastUpdated the feed's top-level {@code "last_updated"} string when it has one, else null
 * @param sha256      hex sha-256 of the feed's bytes
 */
record Catalog(Map<String, CatalogEntry> entries, List<SkippedEntry> skipped, String lastUpdated, String sha256) {

    int size() {
        return entries.size();
    }
}
