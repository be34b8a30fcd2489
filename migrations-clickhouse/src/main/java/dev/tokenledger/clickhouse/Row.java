package dev.tokenledger.clickhouse;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One result row, held as ClickHouse's own text rendering of each value (exact for every type:
 * Decimal, UInt64 and DateTime64 never pass through a double). Typed getters parse on demand.
 */
public final class Row {
    private final Map<String, String> values;

    public Row(Map<String, String> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public Map<String, String> values() {
        return values;
    }

    public boolean isNull(String column) {
        return raw(column) == null;
    }

    public String string(String column) {
        return raw(column);
    }

    public long int64(String column) {
        return Long.parseLong(required(column));
    }

    public BigDecimal decimal(String column) {
        String v = raw(column);
        return v == null ? null : new BigDecimal(v);
    }

    /** A {@code DateTime} or {@code DateTime64} column rendered in UTC ({@code yyyy-MM-dd HH:mm:ss[.fff]}). */
    public Instant instant(String column) {
        String v = raw(column);
        return v == null ? null : Instant.parse(v.replace(' ', 'T') + 'Z');
    }

    public LocalDate date(String column) {
        String v = raw(column);
        return v == null ? null : LocalDate.parse(v);
    }

    private String raw(String column) {
        if (!values.containsKey(column)) {
            throw new IllegalArgumentException("no column '" + column + "' in row " + values.keySet());
        }
        return values.get(column);
    }

    private String required(String column) {
        String v = raw(column);
        if (v == null) {
            throw new IllegalStateException("column '" + column + "' is NULL");
        }
        return v;
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
