package dev.tokenledger.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.RowBinaryWriter.Column;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** RowBinaryWriter's bytes, judged by ClickHouse itself: insert, select, compare ClickHouse's text rendering. */
class RowBinaryRoundTripTest {
    private static final List<Column> COLUMNS = List.of(
            new Column("id", "UInt32"),
            new Column("u", "UUID"),
            new Column("nu", "Nullable(UUID)"),
            new Column("t", "DateTime64(3, 'UTC')"),
            new Column("s", "String"),
            new Column("lc", "LowCardinality(String)"),
            new Column("ns", "Nullable(String)"),
            new Column("u64", "UInt64"),
            new Column("i64", "Int64"),
            new Column("d", "Decimal(38, 12)"),
            new Column("nd", "Nullable(Decimal(38, 12))"),
            new Column("e", "Enum8('priced' = 1, 'unpriced' = 2, 'override' = 3)"),
            new Column("day", "Date"));

    @AutoClose
    private final ClickHouse clickHouse = TestClickHouse.embedded("RowBinaryRoundTripTest");

    private Map<String, String> roundTrip(int id, java.util.function.Consumer<RowBinaryWriter> row) {
        RowBinaryWriter w = new RowBinaryWriter(COLUMNS);
        w.uint32(id);
        row.accept(w);
        clickHouse.insert(new InsertBatch("round_trip", w.toBytes(), w.rowCount(), "row-" + id));
        return clickHouse.query("SELECT * EXCEPT id FROM round_trip WHERE id = {id:UInt32}", Map.of("id", Integer.toString(id)))
                .getFirst().values();
    }

    @Test
    void everyTypeReadsBackAsWritten() {
        clickHouse.execute("CREATE TABLE round_trip (" + COLUMNS.stream().map(c -> c.name() + " " + c.type())
                .reduce((a, b) -> a + ", " + b).orElseThrow() + ") ENGINE = MergeTree ORDER BY id");
        UUID uuid = UUID.fromString("01234567-89ab-cdef-0fed-cba987654321");

        assertThat(roundTrip(1, w -> w.uuid(uuid).uuid(null)
                .dateTime64Millis(Instant.parse("2026-11-27T13:45:01.234Z"))
                .string("tab\there 'quoted' \\ ünï").string("agent-a").string(null)
                .uint64(Long.MAX_VALUE).int64(Long.MIN_VALUE)
                .decimal128(new BigDecimal("0.00000000013").multiply(BigDecimal.ONE), 12)
                .decimal128(null, 12)
                .enum8(2).date(LocalDate.of(2149, 6, 6))))
                .containsExactlyEntriesOf(expected(
                        "u", "01234567-89ab-cdef-0fed-cba987654321",
                        "nu", null,
                        "t", "2026-11-27 13:45:01.234",
                        "s", "tab\there 'quoted' \\ ünï",
                        "lc", "agent-a",
                        "ns", null,
                        "u64", "9223372036854775807",
                        "i64", "-9223372036854775808",
                        "d", "0.00000000013",
                        "nd", null,
                        "e", "unpriced",
                        "day", "2149-06-06"));
    }

    @Test
    void decimalEdgeValuesSurviveToTheLastDigit() {
        clickHouse.execute("CREATE TABLE IF NOT EXISTS decimals (id UInt32, d Decimal(38, 12), nd Nullable(Decimal(38, 12)))"
                + " ENGINE = MergeTree ORDER BY id");
        List<String> values = List.of(
                "0.000000000130",                           // 1.3e-10 USD × 1 token
                "0.000000000001",                           // the smallest step
                "-0.000000000001",
                "-12345.678901234567",
                "99999999999999999999999999.999999999999",  // the largest Decimal(38,12)
                "-99999999999999999999999999.999999999999",
                "18446744073709551616.000000000001",        // crosses the 64-bit boundary of the unscaled value
                "0");
        RowBinaryWriter w = new RowBinaryWriter(List.of(new Column("id", "UInt32"), new Column("d", "Decimal(38, 12)"),
                new Column("nd", "Nullable(Decimal(38, 12))")));
        for (int i = 0; i < values.size(); i++) {
            BigDecimal v = new BigDecimal(values.get(i));
            w.uint32(i).decimal128(v, 12).decimal128(v.negate(), 12);
        }
        clickHouse.insert(new InsertBatch("decimals", w.toBytes(), w.rowCount(), "decimal-edges"));

        List<Row> rows = clickHouse.query("SELECT d, nd, toString(d) AS text FROM decimals ORDER BY id");

        assertThat(rows).extracting(r -> r.decimal("d")).usingElementComparator(BigDecimal::compareTo)
                .containsExactlyElementsOf(values.stream().map(BigDecimal::new).toList());
        assertThat(rows).extracting(r -> r.decimal("nd").negate()).usingElementComparator(BigDecimal::compareTo)
                .containsExactlyElementsOf(values.stream().map(BigDecimal::new).toList());
        assertThat(rows.getFirst().string("text")).isEqualTo("0.00000000013");
        assertThat(rows.get(4).string("d")).isEqualTo("99999999999999999999999999.999999999999");
    }

    /** Name/value pairs in order; values may be null (Map.of and Map.entry refuse nulls). */
    private static Map<String, String> expected(String... pairs) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }
}
