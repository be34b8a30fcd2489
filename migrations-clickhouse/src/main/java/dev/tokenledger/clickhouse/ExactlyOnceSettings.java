package dev.tokenledger.clickhouse;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The insert settings both backends send with every batch (see {@code clickhouse.md}):
 * <ul>
 *   <li>{@code insert_deduplication_token}: the batch's token, so a retried batch is dropped;</li>
 *   <li>{@code insert_deduplicate=1}: deduplication on, whatever the server profile says;</li>
 *   <li>{@code deduplicate_blocks_in_dependent_materialized_views=1}: the rollup drops the retry too
 *       (the default was 0 before 26.2);</li>
 *   <li>{@code async_insert=0}: async inserts became the default in 26.3 and do not deduplicate through
 *       materialized views the same way.</li>
 *   <li>{@code input_format_skip_unknown_fields=0}: a column the table does not have is an error, not
 *       silently dropped (the default is 1, which wrote a row of defaults for a misnamed column).</li>
 *   <li>{@code distributed_foreground_insert=1}: on a cluster the insert goes through a Distributed table, which then
 *       sends the block to its shard before answering, with this query's settings (the token included), instead of
 *       queueing it on the node's disk for later: the answer means the shard has the block, and a retry meets the token
 *       on that shard. No effect on a table that is not Distributed.</li>
 * </ul>
 * A batch's extra settings come after these and may not override them.
 */
final class ExactlyOnceSettings {
    static final String TOKEN = "insert_deduplication_token";
    static final Map<String, String> PINNED = pinned();
    private static final Set<String> RESERVED = Set.of(TOKEN, "insert_deduplicate",
            "deduplicate_blocks_in_dependent_materialized_views", "async_insert", "input_format_skip_unknown_fields",
            "distributed_foreground_insert");
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?");

    private ExactlyOnceSettings() {
    }

    private static Map<String, String> pinned() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("insert_deduplicate", "1");
        m.put("deduplicate_blocks_in_dependent_materialized_views", "1");
        m.put("async_insert", "0");
        m.put("input_format_skip_unknown_fields", "0");
        m.put("distributed_foreground_insert", "1");
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The batch's extra settings, checked: names are identifiers and none overrides a pinned setting. */
    static Map<String, String> extras(InsertBatch batch) {
        for (String name : batch.settings().keySet()) {
            Identifiers.requireName(name, "insert setting name");
            if (RESERVED.contains(name)) {
                throw new IllegalArgumentException("insert setting " + name + " is pinned by tokenledger for exactly-once inserts and cannot be overridden");
            }
        }
        return new java.util.TreeMap<>(batch.settings()); // sorted: the same batch always produces the same SQL
    }

    /** Token, pinned settings and extras, in that order. */
    static Map<String, String> all(InsertBatch batch) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put(TOKEN, batch.deduplicationToken());
        all.putAll(PINNED);
        all.putAll(extras(batch));
        return all;
    }

    /** {@code SETTINGS a='x', b=1, ...}: numbers as numbers, everything else as a string literal. */
    static String sqlClause(Map<String, String> settings) {
        return "SETTINGS " + settings.entrySet().stream()
                .map(e -> e.getKey() + "=" + (NUMBER.matcher(e.getValue()).matches() ? e.getValue() : Identifiers.stringLiteral(e.getValue())))
                .collect(Collectors.joining(", "));
    }
}
