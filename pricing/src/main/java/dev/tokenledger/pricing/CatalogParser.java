package dev.tokenledger.pricing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads LiteLLM's {@code model_prices_and_context_window.json} in one streaming pass.
 *
 * <ul>
 *   <li>Every value of a key containing {@code cost} is read with {@link JsonParser#getDecimalValue()}:
 *       exact, never through a double. Nested objects (and arrays) under a cost key, and the
 *       {@code tiered_pricing} table, are flattened with dotted keys.</li>
 *   <li>{@code sample_spec} (LiteLLM's documentation entry) and top-level values that are not objects
 *       (such as {@code "last_updated"}) are not models and are skipped.</li>
 *   <li>A malformed entry (a negative or non-numeric price, a provider that is not a string, ...) is
 *       reported by name with its reason and skipped; the rest of the feed still loads.</li>
 *   <li>A feed that is not JSON, is truncated, or is not an object fails as a whole with
 *       {@link FeedFormatException}.</li>
 * </ul>
 */
final class CatalogParser {
    static final String SAMPLE_SPEC = "sample_spec";
    static final String TIERED_PRICING = "tiered_pricing";
    private static final String PROVIDER_SPECIFIC_ENTRY = "provider_specific_entry";
    private static final String FAST = "fast";

    private CatalogParser() {
    }

    static Catalog parse(byte[] feed) throws FeedFormatException {
        Map<String, CatalogEntry> entries = new LinkedHashMap<>();
        List<SkippedEntry> skipped = new ArrayList<>();
        String lastUpdated = null;
        try (JsonParser p = Json.MAPPER.createParser(new ByteArrayInputStream(feed))) {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new FeedFormatException("the feed is empty");
            }
            if (t != JsonToken.START_OBJECT) {
                throw new FeedFormatException("the feed is not a JSON object of models (it starts with " + t + ")");
            }
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonToken value = p.nextToken();
                if (value != JsonToken.START_OBJECT) {
                    if ("last_updated".equals(key) && value == JsonToken.VALUE_STRING) {
                        lastUpdated = p.getText();
                    } else if (!"last_updated".equals(key)) {
                        skipped.add(new SkippedEntry(key, "the entry is " + describe(p) + ", not an object"));
                    }
                    p.skipChildren();
                } else if (SAMPLE_SPEC.equals(key)) {
                    p.skipChildren();
                } else {
                    EntryOrError parsed = readEntry(key, p);
                    if (parsed.error != null) {
                        skipped.add(new SkippedEntry(key, parsed.error));
                        entries.remove(key);
                    } else {
                        entries.put(key, parsed.entry);
                    }
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw new FeedFormatException("the feed is not a JSON object of models (found " + t + ")");
            }
            if (p.nextToken() != null) {
                throw new FeedFormatException("the feed has content after its closing brace at "
                        + p.currentLocation().offsetDescription());
            }
        } catch (JsonEOFException e) {
            throw new FeedFormatException("the feed is truncated: JSON ends unexpectedly after "
                    + feed.length + " bytes", e);
        } catch (StreamReadException e) {
            throw new FeedFormatException("the feed is not valid JSON: " + e.getOriginalMessage() + " at "
                    + e.getLocation().offsetDescription(), e);
        } catch (IOException e) {
            throw new FeedFormatException("the feed cannot be read: " + e.getMessage(), e);
        }
        return new Catalog(entries, List.copyOf(skipped), lastUpdated, Json.sha256Hex(feed));
    }

    private record EntryOrError(CatalogEntry entry, String error) {
    }

    /** Reads one model object; the parser is on its START_OBJECT and is left on its END_OBJECT. */
    private static EntryOrError readEntry(String modelKey, JsonParser p) throws IOException {
        String error = modelKey.isBlank() ? "the model key is blank" : null;
        String provider = null;
        String mode = null;
        SortedMap<String, BigDecimal> costs = new TreeMap<>();
        SortedMap<String, JsonNode> attributes = new TreeMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (error != null) {
                p.skipChildren();
                continue;
            }
            if (isCostKey(field)) {
                error = readCost(field, p, costs);
            } else if ("litellm_provider".equals(field) || "mode".equals(field)) {
                if (value == JsonToken.VALUE_STRING) {
                    if (field.equals("mode")) {
                        mode = p.getText();
                    } else {
                        provider = p.getText();
                    }
                } else if (value != JsonToken.VALUE_NULL) {
                    error = field + " must be a string, got " + describe(p);
                    p.skipChildren();
                }
            } else {
                JsonNode node = Json.MAPPER.readTree(p);
                attributes.put(field, node == null ? Json.NODES.nullNode() : node);
                if (PROVIDER_SPECIFIC_ENTRY.equals(field)) {
                    regionalUplifts(node, costs);
                }
            }
        }
        if (error != null) {
            return new EntryOrError(null, error);
        }
        return new EntryOrError(new CatalogEntry(modelKey, provider, mode, costs, attributes,
                Json.contentHash(provider, mode, costs, attributes), Json.costsHash(costs)), null);
    }

    /**
     * Keys that carry prices: every key naming a cost, LiteLLM's {@code tiered_pricing} table, and the regional
     * uplift multipliers (OpenAI's data residency), which change what a call costs as much as a rate does.
     */
    static boolean isCostKey(String field) {
        return field.contains("cost") || TIERED_PRICING.equals(field) || field.startsWith(UnitRates.UPLIFT_PREFIX);
    }

    /**
     * Anthropic's regional uplifts, which the feed keeps in {@code provider_specific_entry} ({@code {"us": 1.1,
     * "fast": 6.0}}), read into the keys OpenAI's use ({@code regional_processing_uplift_multiplier_us}) so that one
     * rule prices both (see {@link UnitRates}). Other members (the fast-mode multiplier, non-numbers) are left to
     * the attributes.
     */
    private static void regionalUplifts(JsonNode entry, SortedMap<String, BigDecimal> costs) {
        if (entry == null || !entry.isObject()) {
            return;
        }
        for (Map.Entry<String, JsonNode> e : entry.properties()) {
            String region = e.getKey().toLowerCase(java.util.Locale.ROOT);
            if (e.getValue().isNumber() && e.getValue().decimalValue().signum() > 0 && !FAST.equals(region)) {
                costs.putIfAbsent(UnitRates.UPLIFT_PREFIX + region, e.getValue().decimalValue());
            }
        }
    }

    /** Reads a cost value (a number, or an object/array of them) into {@code costs}; returns an error or null. */
    private static String readCost(String key, JsonParser p, SortedMap<String, BigDecimal> costs) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                BigDecimal v = p.getDecimalValue();
                if (v.signum() < 0) {
                    return key + " is negative (" + v.toPlainString() + ")";
                }
                costs.put(key, v);
                return null;
            }
            case VALUE_NULL -> {
                return null; // LiteLLM treats a null price as absent
            }
            case START_OBJECT -> {
                String error = null;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String child = key + "." + p.currentName();
                    p.nextToken();
                    if (error == null) {
                        error = readCost(child, p, costs);
                    } else {
                        p.skipChildren();
                    }
                }
                return error;
            }
            case START_ARRAY -> {
                String error = null;
                int index = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    if (error == null) {
                        error = readCost(key + "." + index, p, costs);
                    } else {
                        p.skipChildren();
                    }
                    index++;
                }
                return error;
            }
            default -> {
                String problem = key + " must be a number, got " + describe(p);
                p.skipChildren();
                return problem;
            }
        }
    }

    private static String describe(JsonParser p) throws IOException {
        return switch (p.currentToken()) {
            case VALUE_STRING -> "the string \"" + abbreviate(p.getText()) + "\"";
            case VALUE_TRUE, VALUE_FALSE -> "the boolean " + p.getText();
            case START_ARRAY -> "an array";
            case START_OBJECT -> "an object";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "the number " + p.getText();
            case VALUE_NULL -> "null";
            default -> String.valueOf(p.currentToken());
        };
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
