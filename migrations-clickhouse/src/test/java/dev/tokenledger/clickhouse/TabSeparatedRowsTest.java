package dev.tokenledger.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TabSeparatedRowsTest {

    private static List<Row> parse(String tsv) {
        return TabSeparatedRows.parse(tsv.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void headerNamesTheColumnsAndEachLineIsOneRow() {
        List<Row> rows = parse("a\tb\n1\tx\n2\ty\n");

        assertThat(rows).hasSize(2);
        assertThat(rows.get(1).values()).containsExactly(
                java.util.Map.entry("a", "2"), java.util.Map.entry("b", "y"));
    }

    @Test
    void escapesAreDecodedAndBackslashNIsNull() {
        List<Row> rows = parse("s\tn\tq\na\\tb\\\\c\\nd\t\\N\t\\\\N\n");

        Row row = rows.getFirst();
        assertThat(row.string("s")).isEqualTo("a\tb\\c\nd");
        assertThat(row.isNull("n")).isTrue();
        assertThat(row.string("q")).isEqualTo("\\N");
    }

    @Test
    void anEmptyStringValueIsAnEmptyLineNotTheEndOfTheResult() {
        List<Row> rows = parse("s\n\n\nx\n");

        assertThat(rows).extracting(r -> r.string("s")).containsExactly("", "", "x");
    }

    @Test
    void aHeaderWithoutRowsIsAnEmptyResultAndNoOutputIsNoRows() {
        assertThat(parse("a\tb\n")).isEmpty();
        assertThat(parse("")).isEmpty();
    }
}
