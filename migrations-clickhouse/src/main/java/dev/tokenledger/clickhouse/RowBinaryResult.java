package dev.tokenledger.clickhouse;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.tokenledger.clickhouse.ColumnType.Kind;
import dev.tokenledger.clickhouse.RowBinaryWriter.Column;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A query result in ClickHouse's {@code RowBinaryWithNamesAndTypes} format, read in place from its bytes:
 * the column names and types of the header, then a forward-only cursor over the rows.
 *
 * <pre>{@code
 * RowBinaryResult result = clickHouse.queryRowBinary("SELECT event_id, prompt_tokens, cost_usd FROM llm_usage"
 *         + " WHERE workspace_id = {ws:String}", Map.of("ws", workspace));
 * int id = result.column("event_id"), prompt = result.column("prompt_tokens"), cost = result.column("cost_usd");
 * while (result.next()) {
 *     UUID event = result.uuid(id);
 *     long tokens = result.uint64(prompt);
 *     BigDecimal usd = result.decimal(cost); // null when NULL
 * }
 * }</pre>
 *
 * <p>What it guarantees:
 * <ul>
 *   <li><b>Exact values.</b> Every value decodes to exactly what ClickHouse holds: Decimals from their
 *       integer representation into a {@link BigDecimal} at the column's scale (never through a double),
 *       DateTime64 at its own precision, UInt64 refused rather than wrapped when it exceeds
 *       {@link Long#MAX_VALUE}. Nothing is rounded or truncated; the one lossy-looking getter,
 *       {@link #epochMilli}, refuses types finer than a millisecond.</li>
 *   <li><b>Well-formed or rejected.</b> {@link #parse} checks the header and walks every row before it
 *       returns, so a truncated or malformed stream throws {@link IllegalStateException} (naming the row,
 *       column and byte offset) up front, and {@link #next()} never fails half-way through a result. A
 *       type it cannot decode throws {@link IllegalArgumentException} naming the column: select it in
 *       a supported type instead (e.g. {@code toString(x)}). One limit is the format's own: a stream cut
 *       exactly between two rows is a well-formed shorter result.</li>
 *   <li><b>Typed access.</b> Each getter reads one type (e.g. {@link #uint64} only {@code UInt64}, in or
 *       out of {@code Nullable}/{@code LowCardinality}); another type throws
 *       {@link IllegalArgumentException}, so a query whose column types drift fails loudly instead of
 *       being reinterpreted. For a NULL, object getters return {@code null} and primitive getters throw
 *       {@link IllegalStateException}: test {@link #isNull} first.</li>
 *   <li><b>Allocation-light.</b> The cursor keeps per-column offsets into the bytes; primitive getters
 *       allocate nothing, object getters allocate only the value they return, and a
 *       {@code LowCardinality(String)} column hands back one shared {@code String} per distinct value
 *       (cached per column). Columns are addressed by index: look a name up once with {@link #column}.</li>
 *   <li><b>Not thread-safe.</b> A result is a cursor; use it from one thread.</li>
 * </ul>
 *
 * <p>Types: {@code Int8..Int64}, {@code UInt8..UInt64}, {@code Bool}, {@code Float32/64}, {@code String},
 * {@code FixedString(N)}, {@code UUID}, {@code Date}, {@code Date32}, {@code DateTime},
 * {@code DateTime64(P[, tz])}, {@code Decimal(P, S)} with P up to 76, {@code Enum8}, {@code Enum16}, each
 * optionally inside {@code Nullable} and/or {@code LowCardinality} (RowBinary encodes
 * {@code LowCardinality(T)} as {@code T}, and {@code Nullable(T)} as a flag byte, 1 = NULL, then the value
 * when not NULL); and {@code Nullable(Nothing)}, the type of a bare {@code NULL}.
 */
public final class RowBinaryResult {
    /** The ClickHouse format name both backends ask for. */
    static final String FORMAT = "RowBinaryWithNamesAndTypes";

    private static final VarHandle SHORT_LE = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long[] POW10 = {1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L,
            100_000_000L, 1_000_000_000L};
    private static final Pattern FORMAT_CLAUSE = Pattern.compile("(?is)(?:^|\\s)FORMAT\\s+([A-Za-z0-9_]+)\\s*;?\\s*$");

    /** An offset meaning "this column is NULL in the current row". */
    private static final int NULL = -1;
    /** An offset meaning "there is no current row" (before the first {@link #next()}, or after the last). */
    private static final int NO_ROW = Integer.MIN_VALUE;
    private static final int CACHE_SLOTS = 64; // a power of two

    private final byte[] bytes;
    private final int firstRow;
    private final int rowCount;
    private final List<Column> columns;
    private final ColumnType[] types;
    private final Kind[] kinds;
    private final int[] widths;
    private final boolean[] nullable;
    /** Enum columns: declared values, ascending, and their names at the same index. */
    private final int[][] enumSortedValues;
    private final String[][] enumSortedNames;
    /** LowCardinality(String) columns: a small direct-mapped cache of decoded values (null for other columns). */
    private final String[][] cachedStrings;
    private final int[][] cachedOffsets;
    private final int[][] cachedLengths;

    // The cursor: where each column's value starts in the current row (or NULL / NO_ROW), and String lengths.
    private final int[] offsets;
    private final int[] lengths;
    private int position;
    private int row;
    private boolean done;
    private int lebEnd; // where the last LEB128 read by leb128() ended

    private RowBinaryResult(byte[] bytes) {
        this.bytes = bytes;
        if (bytes.length == 0) {
            throw new IllegalStateException("malformed " + FORMAT + ": the result is empty, without even a header;"
                    + " a statement that returns no rows (DDL, INSERT) belongs in execute()");
        }
        long declaredColumns = leb128(0, "the column count");
        int p = lebEnd;
        if (declaredColumns == 0) {
            throw new IllegalStateException("malformed " + FORMAT + ": the header declares 0 columns;"
                    + " ClickHouse never sends a result without columns");
        }
        if (declaredColumns > (bytes.length - p) / 2) { // every column needs at least a name length and a type length
            throw new IllegalStateException("malformed " + FORMAT + ": the header declares " + declaredColumns
                    + " columns but only " + (bytes.length - p) + " bytes follow");
        }
        int n = (int) declaredColumns;
        String[] names = new String[n];
        for (int c = 0; c < n; c++) {
            names[c] = headerString(p, "the name of column " + (c + 1) + " of " + n);
            p = lebEnd;
        }
        List<Column> cols = new ArrayList<>(n);
        this.types = new ColumnType[n];
        for (int c = 0; c < n; c++) {
            String type = headerString(p, "the type of column '" + names[c] + "'");
            p = lebEnd;
            cols.add(new Column(names[c], type));
            types[c] = ColumnType.parse(names[c], type);
            if (types[c].kind() == Kind.NOTHING && !types[c].nullable()) {
                throw ColumnType.unsupported(names[c], type, "a column of type Nothing holds no values");
            }
        }
        this.columns = List.copyOf(cols);
        this.firstRow = p;
        this.kinds = new Kind[n];
        this.widths = new int[n];
        this.nullable = new boolean[n];
        this.enumSortedValues = new int[n][];
        this.enumSortedNames = new String[n][];
        this.cachedStrings = new String[n][];
        this.cachedOffsets = new int[n][];
        this.cachedLengths = new int[n][];
        for (int c = 0; c < n; c++) {
            ColumnType t = types[c];
            kinds[c] = t.kind();
            widths[c] = t.width();
            nullable[c] = t.nullable();
            if (t.kind() == Kind.ENUM8 || t.kind() == Kind.ENUM16) {
                int[] values = t.enumNames().keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
                Map<Integer, String> byValue = t.enumNames();
                enumSortedValues[c] = values;
                enumSortedNames[c] = Arrays.stream(values).mapToObj(byValue::get).toArray(String[]::new);
            }
            if (t.lowCardinality() && (t.kind() == Kind.STRING || t.kind() == Kind.FIXED_STRING)) {
                cachedStrings[c] = new String[CACHE_SLOTS];
                cachedOffsets[c] = new int[CACHE_SLOTS];
                cachedLengths[c] = new int[CACHE_SLOTS];
            }
        }
        this.offsets = new int[n];
        this.lengths = new int[n];
        // Walk every row now, so a malformed stream fails here rather than half-way through the caller's loop.
        int rows = 0;
        for (p = firstRow; p < bytes.length; ) {
            if (rows == Integer.MAX_VALUE) {
                throw new IllegalStateException("more than " + Integer.MAX_VALUE + " rows");
            }
            p = scanRow(p, ++rows);
        }
        this.rowCount = rows;
        this.position = firstRow;
        Arrays.fill(offsets, NO_ROW);
    }

    /**
     * Reads a {@code RowBinaryWithNamesAndTypes} result. The array is used in place, not copied: do not
     * change it afterwards.
     *
     * @throws IllegalStateException    the bytes are not a well-formed result (empty, truncated, a NULL flag
     *                                  other than 0 or 1, a length beyond the end, a header of 0 columns)
     * @throws IllegalArgumentException a column's type is not one this class decodes
     */
    public static RowBinaryResult parse(byte[] rowBinaryWithNamesAndTypes) {
        return new RowBinaryResult(rowBinaryWithNamesAndTypes);
    }

    /**
     * For the backends: the SQL unchanged, unless it chooses its own output format (which would win over
     * the one asked for, and hand this class bytes it would misread).
     */
    static String requireNoOtherFormat(String sql) {
        Matcher m = FORMAT_CLAUSE.matcher(sql);
        if (m.find() && !m.group(1).equals(FORMAT)) {
            throw new IllegalArgumentException("queryRowBinary reads " + FORMAT + " and chooses it itself;"
                    + " remove 'FORMAT " + m.group(1) + "' from the SQL");
        }
        return sql;
    }

    // ---- the header -------------------------------------------------------------------------------------

    /** The columns in result order, each with its type exactly as ClickHouse declared it. */
    public List<Column> columns() {
        return columns;
    }

    public int columnCount() {
        return columns.size();
    }

    /**
     * The index of the column named {@code name}, for the getters; look it up once, not per row.
     *
     * @throws IllegalArgumentException no column has that name, or more than one has (alias them apart)
     */
    public int column(String name) {
        int found = -1;
        for (int c = 0; c < columns.size(); c++) {
            if (columns.get(c).name().equals(name)) {
                if (found >= 0) {
                    throw new IllegalArgumentException("the result has more than one column named '" + name
                            + "' (positions " + (found + 1) + " and " + (c + 1) + "); give them distinct aliases");
                }
                found = c;
            }
        }
        if (found < 0) {
            throw new IllegalArgumentException("no column '" + name + "' in the result; its columns are "
                    + columns.stream().map(Column::name).toList());
        }
        return found;
    }

    /** The names an Enum8 or Enum16 column declares, by value, in declaration order. */
    public Map<Integer, String> enumValues(int col) {
        if (kinds[col] != Kind.ENUM8 && kinds[col] != Kind.ENUM16) {
            throw wrongType(col, "enumValues");
        }
        return types[col].enumNames();
    }

    /** How many rows the result holds (known up front: {@link #parse} walks them all). */
    public int rowCount() {
        return rowCount;
    }

    // ---- the cursor --------------------------------------------------------------------------------------

    /** Moves to the next row; false when there is none (the cursor then has no current row). */
    public boolean next() {
        if (position == bytes.length) {
            if (!done) {
                done = true;
                Arrays.fill(offsets, NO_ROW);
            }
            return false;
        }
        position = scanRow(position, ++row);
        return true;
    }

    /** The current row's number, counting from 1; 0 before the first {@link #next()}. */
    public int row() {
        return row;
    }

    /** Whether the column is NULL in the current row; always false for a column that is not Nullable. */
    public boolean isNull(int col) {
        int off = offsets[col];
        if (off == NO_ROW) {
            throw noRow("isNull");
        }
        return off == NULL;
    }

    /** {@code Int8}. */
    public int int8(int col) {
        return bytes[required(col, Kind.INT8, "int8")];
    }

    /** {@code UInt8}, 0..255. */
    public int uint8(int col) {
        return bytes[required(col, Kind.UINT8, "uint8")] & 0xFF;
    }

    /** {@code Bool}. */
    public boolean bool(int col) {
        return bytes[required(col, Kind.BOOL, "bool")] != 0;
    }

    /** {@code Int16}. */
    public int int16(int col) {
        return (short) SHORT_LE.get(bytes, required(col, Kind.INT16, "int16"));
    }

    /** {@code UInt16}, 0..65535. */
    public int uint16(int col) {
        return Short.toUnsignedInt((short) SHORT_LE.get(bytes, required(col, Kind.UINT16, "uint16")));
    }

    /** {@code Int32}. */
    public int int32(int col) {
        return (int) INT_LE.get(bytes, required(col, Kind.INT32, "int32"));
    }

    /** {@code UInt32}, 0..4294967295 (a {@code long}: an {@code int} cannot hold the upper half). */
    public long uint32(int col) {
        return Integer.toUnsignedLong((int) INT_LE.get(bytes, required(col, Kind.UINT32, "uint32")));
    }

    /** {@code Int64}. */
    public long int64(int col) {
        return (long) LONG_LE.get(bytes, required(col, Kind.INT64, "int64"));
    }

    /**
     * {@code UInt64}, exactly.
     *
     * @throws ArithmeticException the value exceeds {@link Long#MAX_VALUE}; read such values with
     *                             {@link #uint64Bits}
     */
    public long uint64(int col) {
        long v = (long) LONG_LE.get(bytes, required(col, Kind.UINT64, "uint64"));
        if (v < 0) {
            throw new ArithmeticException(where(col) + " holds " + Long.toUnsignedString(v)
                    + ", more than a long holds; read it with uint64Bits()");
        }
        return v;
    }

    /**
     * {@code UInt64} as its raw 64 bits, for values that may exceed {@link Long#MAX_VALUE} (hashes):
     * compare and print them with {@link Long#compareUnsigned}, {@link Long#toUnsignedString(long)}.
     */
    public long uint64Bits(int col) {
        return (long) LONG_LE.get(bytes, required(col, Kind.UINT64, "uint64Bits"));
    }

    /** {@code Float32}. */
    public float float32(int col) {
        return Float.intBitsToFloat((int) INT_LE.get(bytes, required(col, Kind.FLOAT32, "float32")));
    }

    /** {@code Float64}. */
    public double float64(int col) {
        return Double.longBitsToDouble((long) LONG_LE.get(bytes, required(col, Kind.FLOAT64, "float64")));
    }

    /**
     * {@code String} or {@code FixedString(N)} (all N bytes, trailing zero bytes included), decoded as UTF-8;
     * null for NULL. A {@code LowCardinality} column returns the same instance for repeated values.
     */
    public String string(int col) {
        Kind kind = kinds[col];
        if (kind != Kind.STRING && kind != Kind.FIXED_STRING) {
            throw wrongType(col, "string");
        }
        int off = present(col, "string");
        if (off == NULL) {
            return null;
        }
        int length = kind == Kind.STRING ? lengths[col] : widths[col];
        return cachedStrings[col] == null ? new String(bytes, off, length, UTF_8) : cachedString(col, off, length);
    }

    /** {@code UUID}; null for NULL. */
    public UUID uuid(int col) {
        int off = at(col, Kind.UUID, "uuid");
        return off == NULL ? null : new UUID((long) LONG_LE.get(bytes, off), (long) LONG_LE.get(bytes, off + 8));
    }

    /** {@code Date} or {@code Date32}; null for NULL. */
    public LocalDate date(int col) {
        Kind kind = kinds[col];
        if (kind != Kind.DATE && kind != Kind.DATE32) {
            throw wrongType(col, "date");
        }
        int off = present(col, "date");
        if (off == NULL) {
            return null;
        }
        return LocalDate.ofEpochDay(kind == Kind.DATE
                ? Short.toUnsignedInt((short) SHORT_LE.get(bytes, off))
                : (int) INT_LE.get(bytes, off));
    }

    /**
     * {@code DateTime} or {@code DateTime64(P[, tz])} at its full precision; null for NULL. The column's
     * time zone does not change the instant (RowBinary carries UTC epoch time).
     */
    public Instant instant(int col) {
        Kind kind = kinds[col];
        if (kind != Kind.DATETIME && kind != Kind.DATETIME64) {
            throw wrongType(col, "instant");
        }
        int off = present(col, "instant");
        if (off == NULL) {
            return null;
        }
        if (kind == Kind.DATETIME) {
            return Instant.ofEpochSecond(Integer.toUnsignedLong((int) INT_LE.get(bytes, off)));
        }
        long ticks = (long) LONG_LE.get(bytes, off);
        int scale = types[col].scale();
        if (scale == 3) {
            return Instant.ofEpochMilli(ticks);
        }
        long perSecond = POW10[scale];
        return Instant.ofEpochSecond(Math.floorDiv(ticks, perSecond), Math.floorMod(ticks, perSecond) * POW10[9 - scale]);
    }

    /**
     * {@code DateTime} or {@code DateTime64(P)} with P at most 3, as epoch milliseconds, allocating nothing.
     *
     * @throws IllegalArgumentException the column is finer than a millisecond (use {@link #instant})
     * @throws IllegalStateException    the value is NULL
     */
    public long epochMilli(int col) {
        Kind kind = kinds[col];
        if (kind != Kind.DATETIME && kind != Kind.DATETIME64) {
            throw wrongType(col, "epochMilli");
        }
        int scale = types[col].scale();
        if (kind == Kind.DATETIME64 && scale > 3) {
            throw new IllegalArgumentException("column '" + columns.get(col).name() + "' is " + types[col].declared()
                    + ", finer than a millisecond; epochMilli() would drop digits, read it with instant()");
        }
        int off = present(col, "epochMilli");
        if (off == NULL) {
            throw nullValue(col, "epochMilli");
        }
        return kind == Kind.DATETIME
                ? Integer.toUnsignedLong((int) INT_LE.get(bytes, off)) * 1000
                : (long) LONG_LE.get(bytes, off) * POW10[3 - scale];
    }

    /** {@code Decimal(P, S)} (any P up to 76), exactly, at scale S; null for NULL. */
    public BigDecimal decimal(int col) {
        int off = at(col, Kind.DECIMAL, "decimal");
        if (off == NULL) {
            return null;
        }
        int scale = types[col].scale();
        int width = widths[col];
        if (width == 4) {
            return BigDecimal.valueOf((int) INT_LE.get(bytes, off), scale);
        }
        long low = (long) LONG_LE.get(bytes, off);
        boolean fitsInLong = true;
        for (int i = 8; i < width && fitsInLong; i += 8) {
            fitsInLong = (long) LONG_LE.get(bytes, off + i) == (low >> 63); // the upper words only extend the sign
        }
        if (fitsInLong) {
            return BigDecimal.valueOf(low, scale);
        }
        byte[] bigEndian = new byte[width];
        for (int i = 0; i < width; i++) {
            bigEndian[i] = bytes[off + width - 1 - i];
        }
        return new BigDecimal(new BigInteger(bigEndian), scale);
    }

    /** {@code Enum8}: the stored value (see {@link #enumName} for its name). */
    public int enum8(int col) {
        return bytes[required(col, Kind.ENUM8, "enum8")];
    }

    /** {@code Enum16}: the stored value (see {@link #enumName} for its name). */
    public int enum16(int col) {
        return (short) SHORT_LE.get(bytes, required(col, Kind.ENUM16, "enum16"));
    }

    /**
     * An {@code Enum8} or {@code Enum16} value's name as its type declares it (a shared constant, no
     * allocation); null for NULL.
     */
    public String enumName(int col) {
        Kind kind = kinds[col];
        if (kind != Kind.ENUM8 && kind != Kind.ENUM16) {
            throw wrongType(col, "enumName");
        }
        int off = present(col, "enumName");
        if (off == NULL) {
            return null;
        }
        int value = kind == Kind.ENUM8 ? bytes[off] : (short) SHORT_LE.get(bytes, off);
        int i = Arrays.binarySearch(enumSortedValues[col], value);
        if (i < 0) {
            throw new IllegalStateException(where(col) + " holds " + value + ", which its type "
                    + types[col].declared() + " does not declare");
        }
        return enumSortedNames[col][i];
    }

    @Override
    public String toString() {
        return "RowBinaryResult[" + rowCount + " rows of " + columns + "]";
    }

    // ---- decoding ---------------------------------------------------------------------------------------

    /**
     * Finds where each column's value starts in the row at {@code p}, fills {@link #offsets} and
     * {@link #lengths}, and returns where the next row starts. Bounds are checked here, once per value, so
     * the getters can read without checking again.
     */
    private int scanRow(int p, int rowNumber) {
        final byte[] b = bytes;
        final int end = b.length;
        for (int c = 0; c < offsets.length; c++) {
            if (nullable[c]) {
                if (p == end) {
                    throw truncated(rowNumber, c, p, 1);
                }
                byte flag = b[p++];
                if (flag == 1) {
                    offsets[c] = NULL;
                    continue;
                }
                if (flag != 0 || kinds[c] == Kind.NOTHING) {
                    throw new IllegalStateException("malformed " + FORMAT + ": row " + rowNumber + ", " + describe(c)
                            + " has NULL flag " + flag + " at byte " + (p - 1) + (flag == 0 ? " (Nothing is always NULL)" : ", not 0 or 1"));
                }
            }
            int width = widths[c];
            if (width >= 0) {
                if (width > end - p) {
                    throw truncated(rowNumber, c, p, width);
                }
                offsets[c] = p;
                p += width;
            } else { // LEB128 length, then the bytes
                int length;
                if (p < end && b[p] >= 0) {
                    length = b[p++];
                } else {
                    long l = leb128(p);
                    if (l < 0) {
                        leb128(p, "row " + rowNumber + ", the length of " + describe(c)); // throws, saying why
                    }
                    p = lebEnd;
                    if (l > end - p) {
                        throw truncated(rowNumber, c, p, l);
                    }
                    length = (int) l;
                }
                if (length > end - p) { // the one-byte length above is not checked yet
                    throw truncated(rowNumber, c, p, length);
                }
                offsets[c] = p;
                lengths[c] = length;
                p += length;
            }
        }
        return p;
    }

    /**
     * The unsigned LEB128 number at {@code p}, setting {@link #lebEnd} to the byte after it; or -1 when the
     * result ends inside it, -2 when it exceeds {@link Long#MAX_VALUE}. Builds no message, so reading a
     * long String's length allocates nothing.
     */
    private long leb128(int p) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (p == bytes.length) {
                return -1;
            }
            byte b = bytes[p++];
            if (shift == 63 && (b & 0x7F) != 0) {
                return -2;
            }
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                lebEnd = p;
                return value;
            }
        }
        return -2;
    }

    private long leb128(int p, String what) {
        long value = leb128(p);
        if (value == -1) {
            throw new IllegalStateException("malformed " + FORMAT + ": the result ends inside " + what
                    + " (a LEB128 number starting at byte " + p + ")");
        }
        if (value < 0) {
            throw new IllegalStateException("malformed " + FORMAT + ": " + what + " at byte " + p
                    + " is a LEB128 number beyond 2^63");
        }
        return value;
    }

    private String headerString(int p, String what) {
        long length = leb128(p, what);
        int start = lebEnd;
        if (length > bytes.length - start) {
            throw new IllegalStateException("malformed " + FORMAT + ": the header ends inside " + what + " ("
                    + length + " bytes at byte " + start + ", " + (bytes.length - start) + " remain)");
        }
        lebEnd = start + (int) length;
        return new String(bytes, start, (int) length, UTF_8);
    }

    /** A LowCardinality string: the cached instance when these bytes were seen in this slot before. */
    private String cachedString(int col, int off, int length) {
        int hash = length;
        for (int i = off, end = off + length; i < end; i++) {
            hash = 31 * hash + bytes[i];
        }
        int slot = (hash ^ (hash >>> 16)) & (CACHE_SLOTS - 1);
        String[] strings = cachedStrings[col];
        String cached = strings[slot];
        int cachedOff = cachedOffsets[col][slot];
        if (cached != null && cachedLengths[col][slot] == length
                && Arrays.equals(bytes, cachedOff, cachedOff + length, bytes, off, off + length)) {
            return cached;
        }
        String value = new String(bytes, off, length, UTF_8);
        strings[slot] = value;
        cachedOffsets[col][slot] = off;
        cachedLengths[col][slot] = length;
        return value;
    }

    // ---- access checks ----------------------------------------------------------------------------------

    /** The value's offset in the current row (or {@link #NULL}) after checking the column's kind. */
    private int at(int col, Kind kind, String method) {
        if (kinds[col] != kind) {
            throw wrongType(col, method);
        }
        return present(col, method);
    }

    /** As {@link #at}, for primitive getters: a NULL throws. */
    private int required(int col, Kind kind, String method) {
        int off = at(col, kind, method);
        if (off == NULL) {
            throw nullValue(col, method);
        }
        return off;
    }

    private int present(int col, String method) {
        int off = offsets[col];
        if (off == NO_ROW) {
            throw noRow(method);
        }
        return off;
    }

    private IllegalArgumentException wrongType(int col, String method) {
        return new IllegalArgumentException(describe(col) + " cannot be read with " + method + "()");
    }

    private IllegalStateException nullValue(int col, String method) {
        return new IllegalStateException(where(col) + " is NULL; check isNull() before " + method + "()");
    }

    private IllegalStateException noRow(String method) {
        return new IllegalStateException(method + "() needs a current row: "
                + (done ? "next() returned false, the result has no more rows" : "call next() first"));
    }

    private IllegalStateException truncated(int rowNumber, int col, int at, long needed) {
        return new IllegalStateException("malformed " + FORMAT + ": truncated in row " + rowNumber + ", "
                + describe(col) + " needs " + needed + " bytes at byte " + at + ", " + (bytes.length - at) + " remain");
    }

    private String describe(int col) {
        return "column '" + columns.get(col).name() + "' (" + types[col].declared() + ")";
    }

    private String where(int col) {
        return "column '" + columns.get(col).name() + "' in row " + row;
    }
}
