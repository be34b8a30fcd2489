package dev.tokenledger.orchestrator;

import dev.tokenledger.usage.Reports;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;

/**
 * A report as JSON, the one shape {@code GET /v1/reports/{by}} answers and {@code report --format json} prints: what
 * was asked, where the answer came from, its lines and totals. Costs in USD: the current ones (written plus
 * corrections), or as written when {@code as_written} is true.
 */
public record ReportJson(String by, LocalDate from, LocalDate to, String workspace, String user, String model,
                         int limit, boolean asWritten, String source, long totalEvents, BigDecimal totalCostUsd,
                         List<Reports.Line> lines) {
    public static ReportJson of(Reports.Report r) {
        Reports.Query q = r.query();
        return new ReportJson(q.by().label(), q.from(), q.to(), q.workspace(), q.user(), q.model(), q.limit(),
                q.asWritten(), r.source().table, r.totalEvents(), r.totalCost(), r.lines());
    }
}
