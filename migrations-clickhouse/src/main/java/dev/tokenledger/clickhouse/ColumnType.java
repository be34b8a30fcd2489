package dev.tokenledger.clickhouse;

import dev.tokenledger.clickhouse.RowBinaryWriter.Kind;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A declared column type, reduced to what {@link RowBinaryWriter} needs to encode it: the kind of value,
 * whether it is Nullable, and the parameters that change the bytes (Decimal precision and scale, Enum8
 * values). {@code LowCardinality} does not change RowBinary encoding and is unwrapped.
 */
record ColumnType(String declared, Kind kind, boolean nullable, int precision, int scale, Set<Integer> enumValues) {
    private static final Pattern DECIMAL = Pattern.compile("Decimal\\(\\s*(\\d+)\\s*,\\s*(\\d+)\\s*\\)");
    private static final Pattern DECIMAL128 = Pattern.compile("Decimal128\\(\\s*(\\d+)\\s*\\)");
    private static final Pattern DATETIME64_MILLIS = Pattern.compile("DateTime64\\(\\s*3\\s*(,\\s*'[^']*'\\s*)?\\)");
    private static final Pattern ENUM8_VALUE = Pattern.compile("'(?:[^'\\\\]|\\\\.)*'\\s*=\\s*(-?\\d+)");

    static ColumnType parse(String column, String declared) {
        String t = declared.strip();
        boolean nullable = false;
        boolean changed = true;
        while (changed) {
            changed = false;
            if (t.startsWith("LowCardinality(") && t.endsWith(")")) {
                t = t.substring("LowCardinality(".length(), t.length() - 1).strip();
                changed = true;
            }
            if (t.startsWith("Nullable(") && t.endsWith(")")) {
                t = t.substring("Nullable(".length(), t.length() - 1).strip();
                nullable = true;
                changed = true;
            }
        }
        Matcher m;
        if ((m = DECIMAL.matcher(t)).matches()) {
            int precision = Integer.parseInt(m.group(1));
            int scale = Integer.parseInt(m.group(2));
            if (precision < 19 || precision > 38 || scale > precision) {
                throw unsupported(column, declared, "only Decimal(19..38, S), stored as Decimal128, is supported");
            }
            return new ColumnType(declared, Kind.DECIMAL128, nullable, precision, scale, Set.of());
        }
        if ((m = DECIMAL128.matcher(t)).matches()) {
            return new ColumnType(declared, Kind.DECIMAL128, nullable, 38, Integer.parseInt(m.group(1)), Set.of());
        }
        if (DATETIME64_MILLIS.matcher(t).matches()) {
            return new ColumnType(declared, Kind.DATETIME64_MILLIS, nullable, 0, 0, Set.of());
        }
        if (t.startsWith("Enum8(") && t.endsWith(")")) {
            Set<Integer> values = new LinkedHashSet<>();
            Matcher v = ENUM8_VALUE.matcher(t);
            while (v.find()) {
                values.add(Integer.parseInt(v.group(1)));
            }
            if (values.isEmpty()) {
                throw unsupported(column, declared, "an Enum8 must declare its values ('name' = n)");
            }
            return new ColumnType(declared, Kind.ENUM8, nullable, 0, 0, Set.copyOf(values));
        }
        Kind kind = switch (t) {
            case "UUID" -> Kind.UUID;
            case "String" -> Kind.STRING;
            case "UInt64" -> Kind.UINT64;
            case "UInt32" -> Kind.UINT32;
            case "Int64" -> Kind.INT64;
            case "Date" -> Kind.DATE;
            default -> throw unsupported(column, declared, "RowBinaryWriter has no encoder for it");
        };
        return new ColumnType(declared, kind, nullable, 0, 0, Set.of());
    }

    private static IllegalArgumentException unsupported(String column, String declared, String why) {
        return new IllegalArgumentException("column '" + column + "' has type " + declared + ": " + why);
    }
}
