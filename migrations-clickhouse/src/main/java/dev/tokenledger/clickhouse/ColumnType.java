package dev.tokenledger.clickhouse;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A declared column type, reduced to what RowBinary encoding depends on: the kind of value, whether it is
 * Nullable, how many bytes a value takes, and the parameters that change the bytes or their meaning
 * (Decimal precision and scale, DateTime64 scale, Enum values). {@code LowCardinality} does not change
 * RowBinary encoding and is unwrapped (and remembered: readers may cache its few distinct values).
 *
 * <p>Shared by {@link RowBinaryWriter}, which encodes a subset of these kinds (it refuses the rest up
 * front), and {@link RowBinaryResult}, which decodes all of them.
 *
 * @param width     bytes of one non-null value, or {@link #LENGTH_PREFIXED} for a {@code String}
 * @param precision Decimal precision (digits); 0 for other kinds
 * @param scale     Decimal scale, or DateTime64's sub-second digits; 0 for other kinds
 * @param enumNames an Enum's values and their names in declaration order; empty for other kinds
 */
record ColumnType(String declared, Kind kind, boolean nullable, boolean lowCardinality, int width, int precision,
                  int scale, Map<Integer, String> enumNames) {
    /** {@link #width()} of a String: a LEB128 byte length, then that many bytes. */
    static final int LENGTH_PREFIXED = -1;

    private static final Pattern DECIMAL = Pattern.compile("Decimal\\(\\s*(\\d+)\\s*,\\s*(\\d+)\\s*\\)");
    private static final Pattern DECIMAL_P = Pattern.compile("Decimal\\(\\s*(\\d+)\\s*\\)");
    private static final Pattern DECIMAL_N = Pattern.compile("Decimal(32|64|128|256)\\(\\s*(\\d+)\\s*\\)");
    private static final Pattern DATETIME = Pattern.compile("DateTime(\\(\\s*'[^']*'\\s*\\))?");
    private static final Pattern DATETIME64 = Pattern.compile("DateTime64\\(\\s*(\\d+)\\s*(,\\s*'[^']*'\\s*)?\\)");
    private static final Pattern FIXED_STRING = Pattern.compile("FixedString\\(\\s*(\\d+)\\s*\\)");
    private static final Pattern ENUM = Pattern.compile("Enum(8|16)\\((.*)\\)", Pattern.DOTALL);
    private static final Pattern ENUM_VALUE = Pattern.compile("'((?:[^'\\\\]|\\\\.)*)'\\s*=\\s*(-?\\d+)\\s*(?:,\\s*|$)");

    /** What a value is, and how many bytes it takes in RowBinary ({@code -1}: depends on the type's parameters). */
    enum Kind {
        INT8(1), UINT8(1), BOOL(1), INT16(2), UINT16(2), INT32(4), UINT32(4), INT64(8), UINT64(8),
        FLOAT32(4), FLOAT64(8),
        STRING(LENGTH_PREFIXED), FIXED_STRING(-1), UUID(16),
        DATE(2), DATE32(4), DATETIME(4), DATETIME64(8),
        DECIMAL(-1), ENUM8(1), ENUM16(2),
        /** The type of a bare {@code NULL}: only {@code Nullable(Nothing)} occurs, and only as NULL. */
        NOTHING(0);

        private final int width;

        Kind(int width) {
            this.width = width;
        }
    }

    ColumnType {
        enumNames = Collections.unmodifiableMap(new LinkedHashMap<>(enumNames));
    }

    /** The values an Enum declares. */
    Set<Integer> enumValues() {
        return enumNames.keySet();
    }

    static ColumnType parse(String column, String declared) {
        String t = declared.strip();
        boolean nullable = false;
        boolean lowCardinality = false;
        boolean changed = true;
        while (changed) {
            changed = false;
            if (t.startsWith("LowCardinality(") && t.endsWith(")")) {
                t = t.substring("LowCardinality(".length(), t.length() - 1).strip();
                lowCardinality = true;
                changed = true;
            }
            if (t.startsWith("Nullable(") && t.endsWith(")")) {
                if (nullable) {
                    throw unsupported(column, declared, "Nullable cannot be nested");
                }
                t = t.substring("Nullable(".length(), t.length() - 1).strip();
                nullable = true;
                changed = true;
            }
        }
        Matcher m;
        if ((m = DECIMAL.matcher(t)).matches()) {
            return decimal(column, declared, nullable, lowCardinality, parseInt(m.group(1)), parseInt(m.group(2)));
        }
        if ((m = DECIMAL_P.matcher(t)).matches()) {
            return decimal(column, declared, nullable, lowCardinality, parseInt(m.group(1)), 0);
        }
        if ((m = DECIMAL_N.matcher(t)).matches()) {
            int precision = switch (m.group(1)) {
                case "32" -> 9;
                case "64" -> 18;
                case "128" -> 38;
                default -> 76;
            };
            return decimal(column, declared, nullable, lowCardinality, precision, parseInt(m.group(2)));
        }
        if ((m = DATETIME64.matcher(t)).matches()) {
            int scale = parseInt(m.group(1));
            if (scale > 9) {
                throw unsupported(column, declared, "DateTime64 has at most 9 sub-second digits");
            }
            return new ColumnType(declared, Kind.DATETIME64, nullable, lowCardinality, Kind.DATETIME64.width, 0, scale, Map.of());
        }
        if (DATETIME.matcher(t).matches()) {
            return simple(declared, Kind.DATETIME, nullable, lowCardinality);
        }
        if ((m = FIXED_STRING.matcher(t)).matches()) {
            int length = parseInt(m.group(1));
            if (length < 1) {
                throw unsupported(column, declared, "a FixedString holds at least one byte");
            }
            return new ColumnType(declared, Kind.FIXED_STRING, nullable, lowCardinality, length, 0, 0, Map.of());
        }
        if ((m = ENUM.matcher(t)).matches()) {
            Kind kind = m.group(1).equals("8") ? Kind.ENUM8 : Kind.ENUM16;
            return new ColumnType(declared, kind, nullable, lowCardinality, kind.width, 0, 0,
                    enumNames(column, declared, kind, m.group(2)));
        }
        Kind kind = switch (t) {
            case "Int8" -> Kind.INT8;
            case "UInt8" -> Kind.UINT8;
            case "Bool" -> Kind.BOOL;
            case "Int16" -> Kind.INT16;
            case "UInt16" -> Kind.UINT16;
            case "Int32" -> Kind.INT32;
            case "UInt32" -> Kind.UINT32;
            case "Int64" -> Kind.INT64;
            case "UInt64" -> Kind.UINT64;
            case "Float32" -> Kind.FLOAT32;
            case "Float64" -> Kind.FLOAT64;
            case "String" -> Kind.STRING;
            case "UUID" -> Kind.UUID;
            case "Date" -> Kind.DATE;
            case "Date32" -> Kind.DATE32;
            case "Nothing" -> Kind.NOTHING;
            default -> throw unsupported(column, declared, "no RowBinary codec here for it;"
                    + " supported: (U)Int8..64, Bool, Float32/64, String, FixedString, UUID, Date, Date32, DateTime,"
                    + " DateTime64, Decimal, Enum8/16, within Nullable and LowCardinality");
        };
        return simple(declared, kind, nullable, lowCardinality);
    }

    private static ColumnType simple(String declared, Kind kind, boolean nullable, boolean lowCardinality) {
        return new ColumnType(declared, kind, nullable, lowCardinality, kind.width, 0, 0, Map.of());
    }

    /** Decimal(P, S) is stored as Int32, Int64, Int128 or Int256 depending on P. */
    private static ColumnType decimal(String column, String declared, boolean nullable, boolean lowCardinality,
                                      int precision, int scale) {
        if (precision < 1 || precision > 76 || scale > precision) {
            throw unsupported(column, declared, "a Decimal needs 1 <= P <= 76 and S <= P");
        }
        int width = precision <= 9 ? 4 : precision <= 18 ? 8 : precision <= 38 ? 16 : 32;
        return new ColumnType(declared, Kind.DECIMAL, nullable, lowCardinality, width, precision, scale, Map.of());
    }

    private static Map<Integer, String> enumNames(String column, String declared, Kind kind, String body) {
        String values = body.strip();
        Map<Integer, String> names = new LinkedHashMap<>();
        Matcher v = ENUM_VALUE.matcher(values);
        int limit = kind == Kind.ENUM8 ? Byte.MAX_VALUE : Short.MAX_VALUE;
        for (int at = 0; at < values.length(); at = v.end()) {
            if (!v.region(at, values.length()).lookingAt()) {
                throw unsupported(column, declared, "an Enum must declare its values as 'name' = n, separated by commas");
            }
            int value = parseInt(v.group(2));
            if (value < -limit - 1 || value > limit) {
                throw unsupported(column, declared, value + " is out of range for " + (kind == Kind.ENUM8 ? "Enum8" : "Enum16"));
            }
            if (names.put(value, TabSeparatedRows.unescape(v.group(1))) != null) {
                throw unsupported(column, declared, "the value " + value + " is declared twice");
            }
        }
        if (names.isEmpty()) {
            throw unsupported(column, declared, "an Enum must declare its values as 'name' = n, separated by commas");
        }
        return names;
    }

    private static int parseInt(String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE; // absurdly large: every caller's range check refuses it
        }
    }

    static IllegalArgumentException unsupported(String column, String declared, String why) {
        return new IllegalArgumentException("column '" + column + "' has type " + declared + ": " + why);
    }
}
