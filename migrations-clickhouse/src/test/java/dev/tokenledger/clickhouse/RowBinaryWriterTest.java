package dev.tokenledger.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenledger.clickhouse.RowBinaryWriter.Column;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Encoding rules checked without an engine; {@code RowBinaryRoundTripTest} checks the bytes against ClickHouse. */
class RowBinaryWriterTest {

    @Test
    void theHeaderCarriesTheColumnCountNamesAndTypes() {
        RowBinaryWriter w = new RowBinaryWriter(List.of(new Column("a", "UInt32")));
        w.uint32(1);

        assertThat(HexFormat.of().formatHex(w.toBytes())).isEqualTo("01" + "0161" + "0655496e743332" + "01000000");
    }

    @Test
    void aNegativeDecimalIsSixteenByteLittleEndianTwosComplement() {
        RowBinaryWriter w = new RowBinaryWriter(List.of(new Column("d", "Decimal(38, 2)")));
        w.decimal128(new BigDecimal("-0.01"), 2);

        byte[] bytes = w.toBytes();
        byte[] value = java.util.Arrays.copyOfRange(bytes, bytes.length - 16, bytes.length);
        assertThat(HexFormat.of().formatHex(value)).isEqualTo("ff".repeat(16));
    }

    @Test
    void decimalsOnEitherSideOfTheSixtyFourBitFastPathEncodeAsSixteenByteTwosComplement() {
        BigInteger two63 = BigInteger.ONE.shiftLeft(63);
        for (BigInteger unscaled : List.of(BigInteger.ZERO, BigInteger.ONE, BigInteger.ONE.negate(),
                two63.subtract(BigInteger.ONE), two63.negate(), two63, two63.negate().subtract(BigInteger.ONE),
                BigInteger.TEN.pow(38).subtract(BigInteger.ONE), BigInteger.TEN.pow(38).subtract(BigInteger.ONE).negate())) {
            RowBinaryWriter w = new RowBinaryWriter(List.of(new Column("d", "Decimal(38, 12)")));
            w.decimal128(new BigDecimal(unscaled, 12), 12);
            byte[] bytes = w.toBytes();
            byte[] value = java.util.Arrays.copyOfRange(bytes, bytes.length - 16, bytes.length);
            byte[] expected = new byte[16];
            byte[] bigEndian = unscaled.toByteArray();
            for (int i = 0; i < 16; i++) {
                int src = bigEndian.length - 1 - i;
                expected[i] = src >= 0 ? bigEndian[src] : (byte) (unscaled.signum() < 0 ? 0xFF : 0);
            }
            assertThat(value).as("unscaled %s", unscaled).isEqualTo(expected);
        }
    }

    @Test
    void aDecimalBeyondItsPrecisionIsRefused() {
        RowBinaryWriter w38 = new RowBinaryWriter(List.of(new Column("d", "Decimal(38, 12)")));
        assertThatThrownBy(() -> w38.decimal128(new BigDecimal(BigInteger.TEN.pow(38), 12), 12))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than 38 digits");
        assertThatThrownBy(() -> w38.decimal128(new BigDecimal(BigInteger.TEN.pow(38).negate(), 12), 12))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than 38 digits");

        RowBinaryWriter w20 = new RowBinaryWriter(List.of(new Column("d", "Decimal(20, 2)")));
        w20.decimal128(new BigDecimal(BigInteger.TEN.pow(20).subtract(BigInteger.ONE), 2), 2);
        assertThatThrownBy(() -> w20.decimal128(new BigDecimal(BigInteger.TEN.pow(20), 2), 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than 20 digits");
    }

    @Test
    void nonAsciiStringsAreWrittenAsUtf8WithTheirByteLength() {
        RowBinaryWriter w = new RowBinaryWriter(List.of(new Column("s", "String")));
        w.string("é");

        byte[] bytes = w.toBytes();
        assertThat(HexFormat.of().formatHex(java.util.Arrays.copyOfRange(bytes, bytes.length - 3, bytes.length)))
                .isEqualTo("02c3a9");
    }

    @Test
    void aDecimalWithMoreFractionalDigitsThanTheScaleIsRefusedNotTruncated() {
        RowBinaryWriter w = new RowBinaryWriter(List.of(new Column("cost", "Nullable(Decimal(38,12))")));

        assertThatThrownBy(() -> w.decimal128(new BigDecimal("0.0000000000001"), 12))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("column 'cost'")
                .hasMessageContaining("would be truncated");
    }

    @Test
    void aDecimalAtAnotherScaleThanTheColumnIsRefused() {
        RowBinaryWriter w = new RowBinaryWriter(List.of(new Column("cost", "Decimal(38,12)")));

        assertThatThrownBy(() -> w.decimal128(BigDecimal.ONE, 6))
                .hasMessageContaining("column 'cost'").hasMessageContaining("scale 12");
    }

    @Test
    void writingAColumnWithTheWrongMethodNamesTheColumn() {
        RowBinaryWriter w = new RowBinaryWriter(List.of(new Column("id", "UUID"), new Column("n", "UInt64")));

        assertThatThrownBy(() -> w.uint64(1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("column 'id' (row 1) is UUID; uint64() cannot write it");
    }

    @Test
    void anIncompleteRowCannotBeTurnedIntoBytes() {
        RowBinaryWriter w = new RowBinaryWriter(List.of(new Column("a", "UInt64"), new Column("b", "String")));
        w.uint64(1).string("x").uint64(2);

        assertThat(w.rowCount()).isEqualTo(1);
        assertThatThrownBy(w::toBytes)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("row 2 is incomplete: column 'b'");
    }

    @Test
    void nullGoesOnlyIntoNullableColumns() {
        RowBinaryWriter w = new RowBinaryWriter(List.of(new Column("s", "LowCardinality(String)")));

        assertThatThrownBy(() -> w.string(null)).hasMessageContaining("not Nullable");
        assertThatThrownBy(w::nullValue).hasMessageContaining("not Nullable");
    }

    @Test
    void anEnumValueMustBeDeclaredAndSubMillisecondInstantsAreRefused() {
        RowBinaryWriter w = new RowBinaryWriter(List.of(
                new Column("status", "Enum8('priced'=1,'unpriced'=2,'override'=3)"),
                new Column("t", "DateTime64(3,'UTC')")));

        assertThatThrownBy(() -> w.enum8(4)).hasMessageContaining("not one of its values");
        w.enum8(2);
        assertThatThrownBy(() -> w.dateTime64Millis(Instant.parse("2026-01-01T00:00:00.000001Z")))
                .hasMessageContaining("sub-millisecond");
    }

    @Test
    void aFailedValueLeavesTheRowWhereItWasSoNoHalfValueIsWritten() {
        RowBinaryWriter w = new RowBinaryWriter(List.of(new Column("n", "Nullable(UInt64)")));

        assertThatThrownBy(() -> w.uint64(-1)).hasMessageContaining("negative");
        w.uint64(5);

        byte[] bytes = w.toBytes();
        assertThat(HexFormat.of().formatHex(bytes)).endsWith("00" + "0500000000000000");
    }

    @Test
    void aTypeTheWriterCannotEncodeIsRejectedUpFront() {
        assertThatThrownBy(() -> new RowBinaryWriter(List.of(new Column("f", "Float64"))))
                .hasMessageContaining("column 'f' has type Float64");
    }

    @Test
    void typesOnlyTheReaderDecodesAreStillRefusedUpFrontByTheWriter() {
        for (String type : List.of("Int8", "UInt8", "Date32", "DateTime('UTC')", "DateTime64(6, 'UTC')", "FixedString(3)",
                "Enum16('a' = 1)", "Bool")) {
            assertThatThrownBy(() -> new RowBinaryWriter(List.of(new Column("c", type))))
                    .as(type).hasMessage("column 'c' has type " + type + ": RowBinaryWriter has no encoder for it");
        }
        assertThatThrownBy(() -> new RowBinaryWriter(List.of(new Column("c", "Decimal(18, 2)"))))
                .hasMessageContaining("only Decimal(19..38, S), stored as Decimal128, is supported");
    }
}
