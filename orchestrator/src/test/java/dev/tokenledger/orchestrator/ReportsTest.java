package dev.tokenledger.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.orchestrator.Reports.By;
import dev.tokenledger.orchestrator.Reports.Query;
import dev.tokenledger.orchestrator.Reports.Source;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;

class ReportsTest {
    private static final LocalDate TO = LocalDate.of(2026, 11, 27);
    private static final LocalDate FROM = TO.minusDays(30);

    private static Query q(By by, String workspace, String user, String model) {
        return new Query(by, FROM, TO, workspace, user, model, 10);
    }

    @Test
    void aReportIsAnsweredFromTheSmallestRollupThatKeepsItsColumns() {
        assertThat(Reports.tableFor(q(By.USER, null, null, null), Source.ROLLUP)).isEqualTo("llm_usage_daily_by_user");
        assertThat(Reports.tableFor(q(By.WORKSPACE, null, null, null), Source.ROLLUP)).isEqualTo("llm_usage_daily_by_user");
        assertThat(Reports.tableFor(q(By.USER, "acme", null, null), Source.ROLLUP)).isEqualTo("llm_usage_daily_by_user");
        assertThat(Reports.tableFor(q(By.MODEL, null, null, null), Source.ROLLUP)).isEqualTo("llm_usage_daily_by_model");
        assertThat(Reports.tableFor(q(By.PROVIDER, null, null, "gpt-4o"), Source.ROLLUP))
                .isEqualTo("llm_usage_daily_by_model");
        assertThat(Reports.tableFor(q(By.AGENT, null, null, null), Source.ROLLUP)).isEqualTo("llm_usage_daily_by_agent");
        assertThat(Reports.tableFor(q(By.DAY, null, null, null), Source.ROLLUP)).isEqualTo("llm_usage_daily_by_agent");
    }

    @Test
    void aReportMixingDimensionsGoesToTheFullRollupAndRawStaysRaw() {
        assertThat(Reports.tableFor(q(By.MODEL, "acme", null, null), Source.ROLLUP)).isEqualTo("llm_usage_daily");
        assertThat(Reports.tableFor(q(By.AGENT, null, "u-1", null), Source.ROLLUP)).isEqualTo("llm_usage_daily");
        assertThat(Reports.tableFor(q(By.USER, null, null, "gpt-4o"), Source.ROLLUP)).isEqualTo("llm_usage_daily");
        assertThat(Reports.tableFor(q(By.USER, null, null, null), Source.RAW)).isEqualTo("llm_usage");
    }
}
