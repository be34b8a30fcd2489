package dev.tokenledger.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenledger.clickhouse.RowBinaryWriter.Column;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The decoder on bytes made by hand or by {@link RowBinaryWriter}: malformed and truncated streams fail
 * loudly, never as a silent misread. What ClickHouse itself sends is checked in
 * {@link ClickHouseBackendContract}, on both backends.
 */
class RowBinaryResultTest {
    private static final List<Column> COLUMNS = List.of(
            new Column("id", "UUID"),
            new Column("t", "DateTime64(3, 'UTC')"),
            new Column("model", "LowCardinality(String)"),
            new Column("note", "Nullable(String)"),
            new Column("tokens", "UInt64"),
            new Column("seq", "UInt32"),
            new Column("delta", "Int64"),
            new Column("cost", "Nullable(Decimal(38, 12))"),
            new Column("status", "Enum8('priced' = 1, 'unpriced' = 2, 'override' = 3)"),
            new Column("day", "Date"));

    private static final UUID ID = UUID.fromString("01234567-89ab-cdef-0fed-cba987654321");

    /** Three rows: ordinary values, NULLs and extremes, a long (two-byte length) string. */
    private static byte[] threeRows() {
        RowBinaryWriter w = new RowBinaryWriter(COLUMNS);
        w.uuid(ID).dateTime64Millis(Instant.parse("2026-11-27T13:45:01.234Z")).string("gpt-4o").string("ünï 日本 🎉")
                .uint64(1_000).uint32(1).int64(-5).decimal128(new BigDecimal("-0.000000000130"), 12).enum8(1)
                .date(LocalDate.of(2026, 2, 3));
        w.uuid(new UUID(0, 0)).dateTime64Millis(Instant.parse("1969-12-31T23:59:59.999Z")).string("").string(null)
                .uint64(Long.MAX_VALUE).uint32(0xFFFF_FFFFL).int64(Long.MIN_VALUE).decimal128(null, 12).enum8(2)
                .date(LocalDate.of(1970, 1, 1));
        w.uuid(ID).dateTime64Millis(Instant.parse("2026-01-01T00:00:00Z")).string("gpt-4o").string("x".repeat(300))
                .uint64(0).uint32(7).int64(0).decimal128(new BigDecimal("99999999999999999999999999.999999999999"), 12)
                .enum8(3).date(LocalDate.of(2149, 6, 6));
        return w.toBytes();
    }

    @Test
    void everyValueTheWriterWroteReadsBackExactly() {
        RowBinaryResult r = RowBinaryResult.parse(threeRows());
        int id = r.column("id"), t = r.column("t"), model = r.column("model"), note = r.column("note"),
                tokens = r.column("tokens"), seq = r.column("seq"), delta = r.column("delta"), cost = r.column("cost"),
                status = r.column("status"), day = r.column("day");

        assertThat(r.columns()).isEqualTo(COLUMNS);
        assertThat(r.rowCount()).isEqualTo(3);
        assertThat(r.next()).isTrue();
        assertThat(r.row()).isEqualTo(1);
        assertThat(r.uuid(id)).isEqualTo(ID);
        assertThat(r.instant(t)).isEqualTo(Instant.parse("2026-11-27T13:45:01.234Z"));
        assertThat(r.epochMilli(t)).isEqualTo(Instant.parse("2026-11-27T13:45:01.234Z").toEpochMilli());
        assertThat(r.string(model)).isEqualTo("gpt-4o");
        assertThat(r.isNull(note)).isFalse();
        assertThat(r.string(note)).isEqualTo("ünï 日本 🎉");
        assertThat(r.uint64(tokens)).isEqualTo(1_000);
        assertThat(r.uint32(seq)).isEqualTo(1);
        assertThat(r.int64(delta)).isEqualTo(-5);
        assertThat(r.decimal(cost)).isEqualTo(new BigDecimal("-0.000000000130")); // equals: the scale too
        assertThat(r.enum8(status)).isEqualTo(1);
        assertThat(r.enumName(status)).isEqualTo("priced");
        assertThat(r.date(day)).isEqualTo(LocalDate.of(2026, 2, 3));
        String firstModel = r.string(model);

        assertThat(r.next()).isTrue();
        assertThat(r.uuid(id)).isEqualTo(new UUID(0, 0));
        assertThat(r.instant(t)).isEqualTo(Instant.parse("1969-12-31T23:59:59.999Z"));
        assertThat(r.epochMilli(t)).isEqualTo(-1);
        assertThat(r.string(model)).isEmpty();
        assertThat(r.isNull(note)).isTrue();
        assertThat(r.string(note)).isNull();
        assertThat(r.uint64(tokens)).isEqualTo(Long.MAX_VALUE);
        assertThat(r.uint32(seq)).isEqualTo(0xFFFF_FFFFL);
        assertThat(r.int64(delta)).isEqualTo(Long.MIN_VALUE);
        assertThat(r.isNull(cost)).isTrue();
        assertThat(r.decimal(cost)).isNull();
        assertThat(r.enumName(status)).isEqualTo("unpriced");
        assertThat(r.date(day)).isEqualTo(LocalDate.EPOCH);

        assertThat(r.next()).isTrue();
        assertThat(r.string(model)).isSameAs(firstModel); // LowCardinality: one instance per distinct value
        assertThat(r.string(note)).hasSize(300);
        assertThat(r.decimal(cost)).isEqualTo(new BigDecimal("99999999999999999999999999.999999999999"));
        assertThat(r.enumName(status)).isEqualTo("override");
        assertThat(r.date(day)).isEqualTo(LocalDate.of(2149, 6, 6));

        assertThat(r.next()).isFalse();
        assertThat(r.next()).isFalse();
    }

    @Test
    void everyTruncationOfAValidStreamFailsLoudlyOrIsTheRowsBeforeTheCut() {
        byte[] full = threeRows();
        List<Integer> rowEnds = rowEnds(full);

        for (int length = 0; length < full.length; length++) {
            byte[] cut = Arrays.copyOf(full, length);
            int cutLength = length;
            if (rowEnds.contains(length)) { // the format cannot tell a cut between rows from a shorter result
                RowBinaryResult r = RowBinaryResult.parse(cut);
                assertThat(r.rowCount()).as("rows before byte %d", length).isEqualTo(rowEnds.indexOf(length));
            } else {
                assertThatThrownBy(() -> RowBinaryResult.parse(cut)).as("cut at byte %d of %d", cutLength, full.length)
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageStartingWith("malformed RowBinaryWithNamesAndTypes: ");
            }
        }
    }

    /** Where the header ends and where each row ends, found by the parser itself on the whole stream. */
    private static List<Integer> rowEnds(byte[] full) {
        List<Integer> ends = new ArrayList<>();
        for (int length = 0; length <= full.length; length++) {
            try {
                RowBinaryResult r = RowBinaryResult.parse(Arrays.copyOf(full, length));
                if (r.rowCount() == ends.size()) {
                    ends.add(length);
                }
            } catch (IllegalStateException e) {
                // inside a row
            }
        }
        assertThat(ends).hasSize(4); // the header, then three rows
        return ends;
    }

    @Test
    void aTruncatedRowNamesTheRowTheColumnAndTheOffset() {
        byte[] full = threeRows();
        byte[] cut = Arrays.copyOf(full, full.length - 1); // inside the last row's Date

        assertThatThrownBy(() -> RowBinaryResult.parse(cut))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("malformed RowBinaryWithNamesAndTypes: truncated in row 3, column 'day' (Date) needs 2 bytes at byte "
                        + (full.length - 2) + ", 1 remain");
    }

    @Test
    void anEmptyStreamIsRefusedSayingStatementsWithoutRowsBelongInExecute() {
        assertThatThrownBy(() -> RowBinaryResult.parse(new byte[0]))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("without even a header").hasMessageContaining("execute()");
    }

    @Test
    void aHeaderOfZeroColumnsIsRefusedBecauseClickHouseNeverSendsOne() {
        assertThatThrownBy(() -> RowBinaryResult.parse(new byte[] {0}))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the header declares 0 columns");
    }

    @Test
    void aColumnCountTheRestOfTheStreamCannotHoldIsRefusedBeforeAllocating() {
        byte[] bytes = bytes(0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 1, 'a'); // 2^32 - 1 columns

        assertThatThrownBy(() -> RowBinaryResult.parse(bytes))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("declares 4294967295 columns but only 2 bytes follow");
    }

    @Test
    void aNullFlagOtherThanZeroOrOneIsRefused() {
        byte[] bytes = concat(header(new Column("n", "Nullable(UInt8)")), bytes(0, 7), bytes(2, 7));

        assertThatThrownBy(() -> RowBinaryResult.parse(bytes))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("row 2, column 'n' (Nullable(UInt8)) has NULL flag 2 at byte");
    }

    @Test
    void aStringLongerThanTheRestOfTheStreamIsRefused() {
        byte[] bytes = concat(header(new Column("s", "String")), bytes(0x80, 0x01), "abc".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> RowBinaryResult.parse(bytes))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("truncated in row 1, column 's' (String) needs 128 bytes");
    }

    @Test
    void aLengthBeyondSixtyFourBitsIsRefused() {
        byte[] bytes = concat(header(new Column("s", "String")),
                bytes(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01));

        assertThatThrownBy(() -> RowBinaryResult.parse(bytes))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("row 1, the length of column 's' (String)").hasMessageContaining("beyond 2^63");
    }

    @Test
    void aTypeWithoutADecoderIsRefusedNamingTheColumn() {
        byte[] bytes = concat(header(new Column("a", "Array(UInt8)")), bytes(1, 5));

        assertThatThrownBy(() -> RowBinaryResult.parse(bytes))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("column 'a' has type Array(UInt8): no RowBinary codec here for it");
    }

    @Test
    void gettersReadOnlyTheirTypeAndPrimitiveGettersRefuseNull() {
        byte[] bytes = concat(header(new Column("n", "Nullable(UInt64)"), new Column("s", "String")),
                bytes(1, 0), bytes(0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 'x'));
        RowBinaryResult r = RowBinaryResult.parse(bytes);
        int n = r.column("n"), s = r.column("s");

        assertThatThrownBy(() -> r.uint64(n)).isInstanceOf(IllegalStateException.class)
                .hasMessage("uint64() needs a current row: call next() first");
        r.next();
        assertThat(r.isNull(n)).isTrue();
        assertThatThrownBy(() -> r.uint64(n)).isInstanceOf(IllegalStateException.class)
                .hasMessage("column 'n' in row 1 is NULL; check isNull() before uint64()");
        assertThatThrownBy(() -> r.int64(n)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("column 'n' (Nullable(UInt64)) cannot be read with int64()");
        assertThatThrownBy(() -> r.decimal(s)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("column 's' (String) cannot be read with decimal()");
        r.next();
        assertThat(r.uint64(n)).isEqualTo(1);
        assertThat(r.string(s)).isEqualTo("x");
        assertThat(r.next()).isFalse();
        assertThatThrownBy(() -> r.string(s)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("next() returned false");
    }

    @Test
    void aUInt64AboveLongMaxIsRefusedByUint64AndReadRawByUint64Bits() {
        byte[] bytes = concat(header(new Column("h", "UInt64")), bytes(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF));
        RowBinaryResult r = RowBinaryResult.parse(bytes);
        r.next();

        assertThatThrownBy(() -> r.uint64(0)).isInstanceOf(ArithmeticException.class)
                .hasMessageContaining("holds 18446744073709551615");
        assertThat(Long.toUnsignedString(r.uint64Bits(0))).isEqualTo("18446744073709551615");
    }

    @Test
    void decimalsOfEveryWidthDecodeExactlyFromTheirTwosComplementBytes() {
        byte[] d256 = new byte[32];
        Arrays.fill(d256, (byte) 0xFF);
        d256[0] = 0x00; // -256, sign-extended over 32 bytes
        byte[] d256Big = new byte[32];
        d256Big[16] = 1; // 2^128: beyond Decimal128, within Decimal256
        byte[] d128 = new byte[16];
        d128[8] = 1; // 2^64: does not fit in a long
        byte[] bytes = concat(header(new Column("a", "Decimal(9, 2)"), new Column("b", "Decimal(18, 4)"),
                        new Column("c", "Decimal(38, 12)"), new Column("d", "Decimal(76, 0)"), new Column("e", "Decimal(76, 10)")),
                bytes(0x85, 0xFF, 0xFF, 0xFF), // -123 at scale 2
                bytes(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), // -1 at scale 4
                d128, d256, d256Big);
        RowBinaryResult r = RowBinaryResult.parse(bytes);
        r.next();

        assertThat(r.decimal(0)).isEqualTo(new BigDecimal("-1.23"));
        assertThat(r.decimal(1)).isEqualTo(new BigDecimal("-0.0001"));
        assertThat(r.decimal(2)).isEqualTo(new BigDecimal(BigInteger.TWO.pow(64), 12));
        assertThat(r.decimal(3)).isEqualTo(new BigDecimal("-256"));
        assertThat(r.decimal(4)).isEqualTo(new BigDecimal(BigInteger.TWO.pow(128), 10));
    }

    @Test
    void enumNamesComeFromTheDeclaredTypeEscapesIncluded() {
        byte[] bytes = concat(header(new Column("e", "Enum8('a\\'x' = -1, 'b' = 2)"), new Column("w", "Enum16('low' = -1000, 'high' = 1000)")),
                bytes(0xFF, 0xE8, 0x03));
        RowBinaryResult r = RowBinaryResult.parse(bytes);
        r.next();

        assertThat(r.enum8(0)).isEqualTo(-1);
        assertThat(r.enumName(0)).isEqualTo("a'x");
        assertThat(r.enumValues(0)).containsExactly(java.util.Map.entry(-1, "a'x"), java.util.Map.entry(2, "b"));
        assertThat(r.enum16(1)).isEqualTo(1000);
        assertThat(r.enumName(1)).isEqualTo("high");
    }

    @Test
    void epochMilliRefusesColumnsFinerThanAMillisecondInsteadOfDroppingDigits() {
        byte[] bytes = concat(header(new Column("t", "DateTime64(6, 'UTC')")), bytes(0x01, 0, 0, 0, 0, 0, 0, 0));
        RowBinaryResult r = RowBinaryResult.parse(bytes);
        r.next();

        assertThat(r.instant(0)).isEqualTo(Instant.parse("1970-01-01T00:00:00.000001Z"));
        assertThatThrownBy(() -> r.epochMilli(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("finer than a millisecond");
    }

    @Test
    void columnLookupNamesTheColumnsItHasAndRefusesAmbiguousNames() {
        RowBinaryResult r = RowBinaryResult.parse(concat(header(new Column("a", "UInt8"), new Column("b", "UInt8"),
                new Column("a", "UInt8"))));

        assertThat(r.column("b")).isEqualTo(1);
        assertThatThrownBy(() -> r.column("c")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no column 'c' in the result; its columns are [a, b, a]");
        assertThatThrownBy(() -> r.column("a")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("more than one column named 'a' (positions 1 and 3)");
        assertThat(r.rowCount()).isZero();
        assertThat(r.next()).isFalse();
    }

    @Test
    void aQueryThatPicksItsOwnFormatIsRefusedBeforeItRuns() {
        assertThatThrownBy(() -> RowBinaryResult.requireNoOtherFormat("SELECT 1 FORMAT TSV"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("remove 'FORMAT TSV'");
        assertThat(RowBinaryResult.requireNoOtherFormat("SELECT 1 FORMAT RowBinaryWithNamesAndTypes")).isNotNull();
        assertThat(RowBinaryResult.requireNoOtherFormat("SELECT format FROM t WHERE x = 'FORMAT TSV'")).isNotNull();
    }

    @Test
    void theHeaderAloneIsAnEmptyResultWithItsColumns() {
        byte[] header = HexFormat.of().parseHex("0101610555496e7438"); // what chDB sends for SELECT 1 AS a WHERE 0
        RowBinaryResult r = RowBinaryResult.parse(header);

        assertThat(r.columns()).containsExactly(new Column("a", "UInt8"));
        assertThat(r.rowCount()).isZero();
        assertThat(r.next()).isFalse();
    }

    private static byte[] header(Column... columns) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        leb128(out, columns.length);
        for (Column c : columns) {
            string(out, c.name());
        }
        for (Column c : columns) {
            string(out, c.type());
        }
        return out.toByteArray();
    }

    private static void string(ByteArrayOutputStream out, String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        leb128(out, utf8.length);
        out.writeBytes(utf8);
    }

    private static void leb128(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
