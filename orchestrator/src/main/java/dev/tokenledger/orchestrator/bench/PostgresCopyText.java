package dev.tokenledger.orchestrator.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.tokenledger.clickhouse.RowBinaryResult;
import dev.tokenledger.clickhouse.RowBinaryWriter.Column;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

/**
 * ClickHouse rows into PostgreSQL through {@code COPY ... FROM STDIN}: a {@link RowBinaryResult} written as
 * PostgreSQL's text COPY format, one line per row, fields separated by a tab, in the result's column order.
 * Values are written exactly: Decimals from their {@link BigDecimal} (never through a double), UInt64 unsigned,
 * DateTime64 at its own precision, as UTC with an explicit {@code +00} offset. NULL is {@code \N}; in text a
 * backslash, a tab, a newline, a carriage return, a backspace, a form feed and a vertical tab are escaped as
 * PostgreSQL reads them back ({@code \\ \t \n \r \b \f \v}).
 *
 * <p>Types: {@code String}, {@code FixedString(N)}, {@code UUID}, {@code Int8..Int64}, {@code UInt8..UInt64},
 * {@code Bool}, {@code Decimal(P, S)}, {@code Date}, {@code Date32}, {@code DateTime}, {@code DateTime64(P[, tz])},
 * {@code Enum8}/{@code Enum16} (by name), each optionally in {@code Nullable} and/or {@code LowCardinality};
 * another type (a float, say) is refused: select it as one of these.
 */
final class PostgresCopyText {
    /** Bytes gathered before they go to PostgreSQL. */
    private static final int CHUNK = 1 << 16;

    private PostgresCopyText() {
    }

    /**
     * Copies every remaining row of {@code rows} with {@code copySql} (a {@code COPY table (columns) FROM STDIN}
     * naming the result's columns in order), and returns the rows PostgreSQL took. A failure cancels the copy.
     */
    static long copyIn(CopyManager copy, String copySql, RowBinaryResult rows) throws SQLException {
        CopyIn in = copy.copyIn(copySql);
        try {
            Field[] fields = fields(rows);
            StringBuilder text = new StringBuilder(CHUNK + 1024);
            while (rows.next()) {
                appendRow(rows, fields, text);
                if (text.length() >= CHUNK) {
                    send(in, text);
                }
            }
            send(in, text);
            return in.endCopy();
        } catch (SQLException | RuntimeException e) {
            if (in.isActive()) {
                try {
                    in.cancelCopy();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** Every remaining row of {@code rows} as COPY text (for a small result, or a test). */
    static String text(RowBinaryResult rows) {
        Field[] fields = fields(rows);
        StringBuilder text = new StringBuilder();
        while (rows.next()) {
            appendRow(rows, fields, text);
        }
        return text.toString();
    }

    private static void send(CopyIn in, StringBuilder text) throws SQLException {
        if (!text.isEmpty()) {
            byte[] bytes = text.toString().getBytes(UTF_8);
            in.writeToCopy(bytes, 0, bytes.length);
            text.setLength(0);
        }
    }

    private static void appendRow(RowBinaryResult rows, Field[] fields, StringBuilder text) {
        for (int c = 0; c < fields.length; c++) {
            if (c > 0) {
                text.append('\t');
            }
            if (rows.isNull(c)) {
                text.append("\\N");
            } else {
                fields[c].append(rows, c, text);
            }
        }
        text.append('\n');
    }

    /** Writes one non-NULL value of column {@code c} in the current row. */
    private interface Field {
        void append(RowBinaryResult rows, int c, StringBuilder text);
    }

    private static Field[] fields(RowBinaryResult rows) {
        List<Column> columns = rows.columns();
        Field[] fields = new Field[columns.size()];
        for (int c = 0; c < fields.length; c++) {
            fields[c] = field(columns.get(c));
        }
        return fields;
    }

    private static Field field(Column column) {
        String type = column.type();
        while (type.startsWith("Nullable(") || type.startsWith("LowCardinality(")) {
            type = type.substring(type.indexOf('(') + 1, type.length() - 1);
        }
        int paren = type.indexOf('(');
        String name = paren < 0 ? type : type.substring(0, paren);
        return switch (name) {
            case "String", "FixedString" -> (r, c, t) -> escape(r.string(c), t);
            case "UUID" -> (r, c, t) -> t.append(r.uuid(c));
            case "Int8" -> (r, c, t) -> t.append(r.int8(c));
            case "Int16" -> (r, c, t) -> t.append(r.int16(c));
            case "Int32" -> (r, c, t) -> t.append(r.int32(c));
            case "Int64" -> (r, c, t) -> t.append(r.int64(c));
            case "UInt8" -> (r, c, t) -> t.append(r.uint8(c));
            case "UInt16" -> (r, c, t) -> t.append(r.uint16(c));
            case "UInt32" -> (r, c, t) -> t.append(r.uint32(c));
            case "UInt64" -> (r, c, t) -> t.append(Long.toUnsignedString(r.uint64Bits(c)));
            case "Bool" -> (r, c, t) -> t.append(r.bool(c));
            case "Decimal", "Decimal32", "Decimal64", "Decimal128", "Decimal256" ->
                    (r, c, t) -> t.append(r.decimal(c).stripTrailingZeros().toPlainString());
            case "Date", "Date32" -> (r, c, t) -> t.append(r.date(c));
            case "DateTime", "DateTime64" -> (r, c, t) -> timestamp(r.instant(c), t);
            case "Enum8", "Enum16" -> (r, c, t) -> escape(r.enumName(c), t);
            case "Nothing" -> (r, c, t) -> {
                throw new IllegalStateException("a Nothing column is always NULL");
            };
            default -> throw new IllegalArgumentException("column '" + column.name() + "' is " + column.type()
                    + ", which the bench does not copy into PostgreSQL; select it as a String, an integer or a"
                    + " Decimal instead");
        };
    }

    /** {@code yyyy-MM-dd HH:mm:ss[.fraction]+00}: the instant in UTC, every non-zero digit of its fraction kept. */
    private static void timestamp(Instant instant, StringBuilder text) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(instant.getEpochSecond(), 0, ZoneOffset.UTC);
        int year = t.getYear();
        if (year < 1 || year > 9999) {
            throw new IllegalArgumentException("the instant " + instant + " is outside the years 1..9999");
        }
        pad(year, 4, text).append('-');
        pad(t.getMonthValue(), 2, text).append('-');
        pad(t.getDayOfMonth(), 2, text).append(' ');
        pad(t.getHour(), 2, text).append(':');
        pad(t.getMinute(), 2, text).append(':');
        pad(t.getSecond(), 2, text);
        int nanos = instant.getNano();
        if (nanos != 0) {
            int digits = 9;
            while (nanos % 10 == 0) {
                nanos /= 10;
                digits--;
            }
            pad(nanos, digits, text.append('.'));
        }
        text.append("+00");
    }

    private static StringBuilder pad(int value, int width, StringBuilder text) {
        String digits = Integer.toString(value);
        for (int i = digits.length(); i < width; i++) {
            text.append('0');
        }
        return text.append(digits);
    }

    /** A text value with the escapes PostgreSQL's text COPY format reads back to the same characters. */
    static void escape(String value, StringBuilder text) {
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            switch (ch) {
                case '\\' -> text.append("\\\\");
                case '\t' -> text.append("\\t");
                case '\n' -> text.append("\\n");
                case '\r' -> text.append("\\r");
                case '\b' -> text.append("\\b");
                case '\f' -> text.append("\\f");
                case '\u000B' -> text.append("\\v");
                default -> text.append(ch);
            }
        }
    }
}
