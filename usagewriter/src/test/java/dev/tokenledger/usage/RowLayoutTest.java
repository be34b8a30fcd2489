package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.RowBinaryWriter.Column;
import dev.tokenledger.clickhouse.TestClickHouse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rows the writer and the reprice runs encode are the tables' rows, column for column: every column of
 * llm_usage and llm_usage_adjustment, by name, type and order, after every migration. A migration that adds a
 * column the encoders do not write (it would be silently left at its default) fails here, and so does an encoder
 * that names a column the table does not have.
 */
class RowLayoutTest {
    private static ClickHouse clickHouse;

    @BeforeAll
    static void open() {
        clickHouse = TestClickHouse.embedded("row_layout");
    }

    @AfterAll
    static void close() {
        clickHouse.close();
    }

    private static List<Column> table(String name) {
        return clickHouse.query("SELECT name, type FROM system.columns WHERE database = currentDatabase()"
                        + " AND table = {t:String} ORDER BY position", Map.of("t", name)).stream()
                .map(r -> new Column(r.string("name"), r.string("type"))).toList();
    }

    @Test
    void theWritersRowIsLlmUsagesRowColumnForColumn() {
        assertThat(UsageRows.COLUMNS).containsExactlyElementsOf(table(Rollups.USAGE));
    }

    @Test
    void anAdjustmentsRowIsLlmUsageAdjustmentsRowColumnForColumn() {
        assertThat(Adjustment.COLUMNS).containsExactlyElementsOf(table(Rollups.ADJUSTMENTS));
    }
}
