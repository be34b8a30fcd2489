package dev.tokenledger.pricing;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * JSON as pricing needs it: numbers are always {@link BigDecimal} (never a double, so {@code 1.3e-10}
 * stays exactly that), written in plain notation, and a canonical form for hashing in which key order
 * and number spelling ({@code 1e-05} vs {@code 0.00001}) do not matter.
 */
final class Json {
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    static final com.fasterxml.jackson.databind.json.JsonMapper MAPPER =
            com.fasterxml.jackson.databind.json.JsonMapper.builder()
                    .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                    .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
                    .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
                    .enable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
                    .build();

    private Json() {
    }

    /** A costs map as a JSON object, keys sorted, values exact and plain: {@code {"input_cost_per_token":0.0000025}}. */
    static String costsJson(SortedMap<String, BigDecimal> costs) {
        ObjectNode node = NODES.objectNode();
        costs.forEach(node::put);
        return write(node);
    }

    /** Reads a costs object written by {@link #costsJson} (or by hand in SQL) back to exact decimals. */
    static SortedMap<String, BigDecimal> readCosts(String json) {
        SortedMap<String, BigDecimal> costs = new TreeMap<>();
        JsonNode node = read(json);
        if (!node.isObject()) {
            throw new IllegalArgumentException("costs must be a JSON object, got " + node.getNodeType());
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            JsonNode v = e.getValue();
            if (!v.isNumber()) {
                throw new IllegalArgumentException("cost '" + e.getKey() + "' is not a number: " + v);
            }
            costs.put(e.getKey(), v.decimalValue());
        }
        return costs;
    }

    static String attributesJson(SortedMap<String, JsonNode> attributes) {
        ObjectNode node = NODES.objectNode();
        attributes.forEach(node::set);
        return write(node);
    }

    static JsonNode read(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    /** The canonical text of a decimal: no exponent, no trailing zeros ({@code 1e-05} and {@code 0.000010} agree). */
    static String canonical(BigDecimal value) {
        return value.signum() == 0 ? "0" : value.stripTrailingZeros().toPlainString();
    }

    /** A copy of {@code node} with object keys sorted and numbers canonical, for hashing. */
    static JsonNode canonical(JsonNode node) {
        if (node.isObject()) {
            ObjectNode sorted = NODES.objectNode();
            TreeMap<String, JsonNode> fields = new TreeMap<>();
            node.properties().forEach(e -> fields.put(e.getKey(), e.getValue()));
            fields.forEach((k, v) -> sorted.set(k, canonical(v)));
            return sorted;
        }
        if (node.isArray()) {
            var array = NODES.arrayNode();
            node.forEach(v -> array.add(canonical(v)));
            return array;
        }
        if (node.isNumber()) {
            return NODES.numberNode(new BigDecimal(canonical(node.decimalValue())));
        }
        return node;
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    static String sha256Hex(String text) {
        return sha256Hex(text.getBytes(StandardCharsets.UTF_8));
    }

    /** sha-256 of the canonical costs: equal for equal prices, whatever their spelling. */
    static String costsHash(SortedMap<String, BigDecimal> costs) {
        StringBuilder sb = new StringBuilder();
        costs.forEach((k, v) -> sb.append(k).append('=').append(canonical(v)).append('\n'));
        return sha256Hex(sb.toString());
    }

    /** sha-256 of the canonical entry: provider, mode, costs and attributes. */
    static String contentHash(String provider, String mode, SortedMap<String, BigDecimal> costs,
                              SortedMap<String, JsonNode> attributes) {
        ObjectNode root = NODES.objectNode();
        ObjectNode attrs = root.putObject("attributes");
        attributes.forEach((k, v) -> attrs.set(k, canonical(v)));
        ObjectNode c = root.putObject("costs");
        costs.forEach((k, v) -> c.put(k, new BigDecimal(canonical(v))));
        root.put("mode", mode);
        root.put("provider", provider);
        return sha256Hex(write(root));
    }
}
