package dev.tokenledger.usage;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;

/**
 * Per day: what PostgreSQL says was written, what llm_usage and llm_usage_daily hold, and what is still
 * on its way. Clean when, every day, the three written figures agree to the last digit.
 */
public record ReconcileReport(LocalDate from, LocalDate to, List<Day> days) {

    public boolean clean() {
        return days.stream().allMatch(Day::matches);
    }

    public long pending() {
        return days.stream().mapToLong(Day::pending).sum();
    }

    /** Totals of one source for one day. */
    public record Totals(long events, long promptTokens, long completionTokens, long totalTokens, BigDecimal costUsd) {
        public static final Totals ZERO = new Totals(0, 0, 0, 0, BigDecimal.ZERO);

        boolean sameAs(Totals o) {
            return events == o.events && promptTokens == o.promptTokens && completionTokens == o.completionTokens
                    && totalTokens == o.totalTokens && costUsd.compareTo(o.costUsd) == 0;
        }
    }

    /**
     * @param written      written according to PostgreSQL (usage_written_day)
     * @param raw          rows in llm_usage
     * @param rollup       sums in llm_usage_daily
     * @param pending      accepted, not yet written (sealed or not)
     * @param deadLettered refused by ClickHouse, kept in usage_dead_letter
     */
    public record Day(LocalDate day, Totals written, Totals raw, Totals rollup, long pending, long deadLettered) {
        public boolean matches() {
            return written.sameAs(raw) && written.sameAs(rollup);
        }
    }
}
