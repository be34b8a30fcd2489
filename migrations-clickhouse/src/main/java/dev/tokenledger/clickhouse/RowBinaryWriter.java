package dev.tokenledger.clickhouse;

import dev.tokenledger.clickhouse.ColumnType.Kind;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Encodes rows as ClickHouse {@code RowBinaryWithNamesAndTypes}: a header naming every column and its
 * type, then each row's values in declaration order. Both backends send these bytes unchanged, so the
 * exact same content goes out under a batch's deduplication token on every attempt.
 *
 * <p>Each value method writes the next declared column and checks that the column's type is one it can
 * encode; a row must write every column, in order. Mistakes throw {@link IllegalArgumentException} or
 * {@link IllegalStateException} naming the column, because a misaligned RowBinary stream is silently
 * misread rather than rejected. Values are never rounded or truncated: a Decimal with more fractional
 * digits than its column allows is refused.
 *
 * <p>For a {@code Nullable(T)} column pass {@code null} to the object-valued methods, or call
 * {@link #nullValue()}; a non-null value writes the "not null" flag itself.
 *
 * <p>Not thread-safe; one writer builds one batch.
 */
public final class RowBinaryWriter {

    /** One declared column: its name and its ClickHouse type exactly as in the table, e.g. {@code Nullable(UUID)}. */
    public record Column(String name, String type) {
        public Column {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
        }
    }

    private final List<Column> columns;
    private final ColumnType[] types;
    /** Per Decimal128 column, 10^precision (the first magnitude it cannot hold) and that number's bit length. */
    private final BigInteger[] decimalLimits;
    private final int[] decimalLimitBits;
    private final byte[] header;
    // The rows, in a plain growable buffer: ByteArrayOutputStream synchronizes every write.
    private byte[] buffer;
    private int size;
    private int nextColumn;
    private int rowCount;

    public RowBinaryWriter(List<Column> columns) {
        this(columns, 4096);
    }

    /** With room for {@code initialBytes} of rows before the buffer has to grow (a batch's expected size). */
    public RowBinaryWriter(List<Column> columns, int initialBytes) {
        this.buffer = new byte[Math.max(64, initialBytes)];
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("at least one column is needed");
        }
        this.columns = List.copyOf(columns);
        this.types = this.columns.stream().map(c -> writable(ColumnType.parse(c.name(), c.type()), c.name()))
                .toArray(ColumnType[]::new);
        this.decimalLimits = new BigInteger[types.length];
        this.decimalLimitBits = new int[types.length];
        for (int i = 0; i < types.length; i++) {
            if (types[i].kind() == Kind.DECIMAL) {
                decimalLimits[i] = BigInteger.TEN.pow(types[i].precision());
                decimalLimitBits[i] = decimalLimits[i].bitLength();
            }
        }
        ByteArrayOutputStream h = new ByteArrayOutputStream(64 * columns.size());
        writeUnsignedLeb128(h, columns.size());
        for (Column c : this.columns) {
            writeString(h, c.name());
        }
        for (Column c : this.columns) {
            writeString(h, c.type());
        }
        this.header = h.toByteArray();
    }

    public List<Column> columns() {
        return columns;
    }

    /** The types this writer has a method for; {@link ColumnType} knows more (for {@link RowBinaryResult}). */
    private static ColumnType writable(ColumnType t, String column) {
        if (t.kind() == Kind.DECIMAL && t.width() != 16) {
            throw ColumnType.unsupported(column, t.declared(), "only Decimal(19..38, S), stored as Decimal128, is supported");
        }
        boolean writable = switch (t.kind()) {
            case UUID, STRING, UINT64, UINT32, INT64, DECIMAL, ENUM8, DATE -> true;
            case DATETIME64 -> t.scale() == 3;
            default -> false;
        };
        if (!writable) {
            throw ColumnType.unsupported(column, t.declared(), "RowBinaryWriter has no encoder for it");
        }
        return t;
    }

    /** Rows completed so far. */
    public int rowCount() {
        return rowCount;
    }

    /** Header plus every completed row. Throws if a row was started but not finished. */
    public byte[] toBytes() {
        if (nextColumn != 0) {
            throw new IllegalStateException("row " + (rowCount + 1) + " is incomplete: column '"
                    + columns.get(nextColumn).name() + "' (position " + (nextColumn + 1) + " of "
                    + columns.size() + ") and those after it were not written");
        }
        byte[] out = new byte[header.length + size];
        System.arraycopy(header, 0, out, 0, header.length);
        System.arraycopy(buffer, 0, out, header.length, size);
        return out;
    }

    /** Writes NULL into the next column, which must be {@code Nullable}. */
    public RowBinaryWriter nullValue() {
        ColumnType t = current();
        if (!t.nullable()) {
            throw new IllegalArgumentException(where() + " is " + t.declared() + ", not Nullable: it cannot hold NULL");
        }
        write(1);
        return advance();
    }

    public RowBinaryWriter uuid(UUID value) {
        ColumnType t = expect(Kind.UUID, "uuid");
        if (value == null) {
            return nullValue();
        }
        markNotNull(t);
        writeLongLe(value.getMostSignificantBits());
        writeLongLe(value.getLeastSignificantBits());
        return advance();
    }

    /** {@code DateTime64(3[, tz])}: milliseconds since the epoch. A finer instant is refused, not truncated. */
    public RowBinaryWriter dateTime64Millis(Instant value) {
        ColumnType t = expect(Kind.DATETIME64, "dateTime64Millis");
        if (value == null) {
            return nullValue();
        }
        if (value.getNano() % 1_000_000 != 0) {
            throw new IllegalArgumentException(where() + " is " + t.declared() + ": " + value
                    + " has sub-millisecond digits; truncate it before building the batch");
        }
        markNotNull(t);
        writeLongLe(value.toEpochMilli());
        return advance();
    }

    /** {@code String} or {@code LowCardinality(String)}, as UTF-8. */
    public RowBinaryWriter string(String value) {
        ColumnType t = expect(Kind.STRING, "string");
        if (value == null) {
            return nullValue();
        }
        markNotNull(t);
        writeUtf8(value);
        return advance();
    }

    public RowBinaryWriter uint64(long value) {
        ColumnType t = expect(Kind.UINT64, "uint64");
        if (value < 0) {
            throw new IllegalArgumentException(where() + " is " + t.declared() + ": " + value + " is negative");
        }
        markNotNull(t);
        writeLongLe(value);
        return advance();
    }

    public RowBinaryWriter uint32(long value) {
        ColumnType t = expect(Kind.UINT32, "uint32");
        if (value < 0 || value > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(where() + " is " + t.declared() + ": " + value + " is out of range");
        }
        markNotNull(t);
        writeIntLe((int) value);
        return advance();
    }

    public RowBinaryWriter int64(long value) {
        ColumnType t = expect(Kind.INT64, "int64");
        markNotNull(t);
        writeLongLe(value);
        return advance();
    }

    /**
     * {@code Decimal(P, S)} with {@code P} in 19..38 (a Decimal128): the value is written at exactly
     * {@code scale} digits, which must equal the column's scale. A value needing more fractional digits,
     * or more than P digits in all, is refused rather than rounded.
     */
    public RowBinaryWriter decimal128(BigDecimal value, int scale) {
        ColumnType t = expect(Kind.DECIMAL, "decimal128");
        if (scale != t.scale()) {
            throw new IllegalArgumentException(where() + " is " + t.declared() + " (scale " + t.scale()
                    + "), the value was given at scale " + scale);
        }
        if (value == null) {
            return nullValue();
        }
        BigInteger unscaled;
        try {
            unscaled = (value.scale() == scale ? value : value.setScale(scale, RoundingMode.UNNECESSARY)).unscaledValue();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(where() + " is " + t.declared() + ": " + value.toPlainString()
                    + " has more than " + scale + " fractional digits and would be truncated", e);
        }
        int bits = unscaled.bitLength();
        // Below 10^precision's bit length the value is certainly in range; only near it compare exactly.
        if (bits >= decimalLimitBits[nextColumn] - 1 && unscaled.abs().compareTo(decimalLimits[nextColumn]) >= 0) {
            throw new IllegalArgumentException(where() + " is " + t.declared() + ": " + value.toPlainString()
                    + " has more than " + t.precision() + " digits");
        }
        markNotNull(t);
        if (bits < 64) {
            long v = unscaled.longValue();
            writeLongLe(v);
            writeLongLe(v < 0 ? -1L : 0L);
        } else {
            writeInt128Le(unscaled);
        }
        return advance();
    }

    /** {@code Enum8(...)}: the numeric value, which must be one the column declares. */
    public RowBinaryWriter enum8(int value) {
        ColumnType t = expect(Kind.ENUM8, "enum8");
        if (!t.enumValues().contains(value)) {
            throw new IllegalArgumentException(where() + " is " + t.declared() + ": " + value + " is not one of its values");
        }
        markNotNull(t);
        write(value);
        return advance();
    }

    /** {@code Date}: days since 1970-01-01, 0..65535. */
    public RowBinaryWriter date(LocalDate value) {
        ColumnType t = expect(Kind.DATE, "date");
        if (value == null) {
            return nullValue();
        }
        long days = value.toEpochDay();
        if (days < 0 || days > 0xFFFF) {
            throw new IllegalArgumentException(where() + " is " + t.declared() + ": " + value + " is outside 1970-01-01..2149-06-06");
        }
        markNotNull(t);
        write((int) days & 0xFF);
        write((int) (days >>> 8) & 0xFF);
        return advance();
    }

    /** The next column's type, which must be of the kind the calling method encodes. Writes nothing. */
    private ColumnType expect(Kind kind, String method) {
        ColumnType t = current();
        if (t.kind() != kind) {
            throw new IllegalArgumentException(where() + " is " + t.declared() + "; " + method + "() cannot write it");
        }
        return t;
    }

    /** A Nullable column's value is preceded by a 0 byte ("not null"); validation is done before this. */
    private void markNotNull(ColumnType t) {
        if (t.nullable()) {
            write(0);
        }
    }

    private ColumnType current() {
        return types[nextColumn];
    }

    private String where() {
        return "column '" + columns.get(nextColumn).name() + "' (row " + (rowCount + 1) + ")";
    }

    private RowBinaryWriter advance() {
        if (++nextColumn == columns.size()) {
            nextColumn = 0;
            rowCount++;
        }
        return this;
    }

    private void ensure(int more) {
        if (size + more > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + more));
        }
    }

    private void write(int b) {
        ensure(1);
        buffer[size++] = (byte) b;
    }

    private void writeLongLe(long v) {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buffer[size++] = (byte) (v >>> (8 * i));
        }
    }

    private void writeIntLe(int v) {
        ensure(4);
        for (int i = 0; i < 4; i++) {
            buffer[size++] = (byte) (v >>> (8 * i));
        }
    }

    /** 16-byte little-endian two's complement. */
    private void writeInt128Le(BigInteger v) {
        byte[] bigEndian = v.toByteArray(); // minimal two's complement, at most 16 bytes after the checks above
        byte fill = (byte) (v.signum() < 0 ? 0xFF : 0x00);
        ensure(16);
        for (int i = 0; i < 16; i++) {
            int src = bigEndian.length - 1 - i;
            buffer[size++] = src >= 0 ? bigEndian[src] : fill;
        }
    }

    /** LEB128 length, then UTF-8 (String.getBytes is vectorised for ASCII; a char loop was slower). */
    private void writeUtf8(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        writeLeb128(bytes.length);
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buffer, size, bytes.length);
        size += bytes.length;
    }

    private void writeLeb128(long v) {
        while ((v & ~0x7FL) != 0) {
            write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        write((int) v);
    }

    private static void writeString(ByteArrayOutputStream out, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        writeUnsignedLeb128(out, bytes.length);
        out.write(bytes, 0, bytes.length);
    }

    private static void writeUnsignedLeb128(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
