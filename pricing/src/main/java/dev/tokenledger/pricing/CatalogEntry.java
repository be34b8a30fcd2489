package dev.tokenledger.pricing;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.SortedMap;

/**
 * One model of a LiteLLM feed, complete: every cost key with its exact value (nested objects and the
 * {@code tiered_pricing} table flattened to dotted keys such as
 * {@code search_context_cost_per_query.search_context_size_low} or {@code tiered_pricing.0.range.1}),
 * the provider and mode, and every other key kept as JSON in {@code attributes}.
 *
 * @param contentHash sha-256 of the canonical entry (costs, attributes, provider, mode): equal hashes
 *                    mean nothing changed
 * @param costsHash   sha-256 of the canonical costs alone: a different value means the price changed
 */
record CatalogEntry(String modelKey, String provider, String mode, SortedMap<String, BigDecimal> costs,
                    SortedMap<String, JsonNode> attributes, String contentHash, String costsHash) {
}
