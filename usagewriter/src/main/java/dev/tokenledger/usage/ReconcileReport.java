package dev.tokenledger.usage;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per day: what PostgreSQL accepted and what became of each event (written, dead-lettered, dropped as a late
 * duplicate, still pending), what PostgreSQL says was written, and what llm_usage and every rollup hold, on
 * every {@link Measure}. Clean when every accepted event is accounted for, the three written figures agree to
 * the last digit on every measure, and no dead letter waits for an admin.
 *
 * @param from        first day (UTC)
 * @param to          last day (UTC), included
 * @param days        the days that have anything
 * @param differences every disagreement, naming the day, the table and the column
 */
public record ReconcileReport(LocalDate from, LocalDate to, List<Day> days, List<Difference> differences) {

    public ReconcileReport {
        days = List.copyOf(days);
        differences = List.copyOf(differences);
    }

    /** Every event accounted for, every figure equal, no dead letter unresolved. Pending events are allowed. */
    public boolean clean() {
        return differences.isEmpty() && unresolvedDeadLetters() == 0;
    }

    /** Accepted events not written yet (in flight). */
    public long pending() {
        return days.stream().mapToLong(d -> d.accounting().pending()).sum();
    }

    public long unresolvedDeadLetters() {
        return days.stream().mapToLong(d -> d.accounting().deadLetteredUnresolved()).sum();
    }

    public long lateDuplicates() {
        return days.stream().mapToLong(d -> d.accounting().duplicates()).sum();
    }

    /** Days where llm_usage agrees with PostgreSQL but a rollup does not: what {@link RollupRepair} can fix. */
    public List<Difference> rollupDifferences() {
        return differences.stream().filter(d -> !d.table().equals(Difference.RAW)
                && !d.table().equals(Difference.ADJUSTMENTS) && !d.table().equals(Difference.ACCOUNTING)).toList();
    }

    /** Months (yyyymm), oldest first, with a rollup that disagrees with llm_usage: what a repair rebuilds. */
    public List<Integer> rollupMonths() {
        return rollupDifferences().stream().map(d -> d.day().getYear() * 100 + d.day().getMonthValue()).distinct()
                .sorted().toList();
    }

    /**
     * The sums of one source for one day. A measure that is missing is unknown (PostgreSQL rows written before
     * the measure was recorded) and is not compared.
     */
    public record Totals(Map<Measure, BigDecimal> values) {
        public static final Totals ZERO = zero();

        public Totals {
            EnumMap<Measure, BigDecimal> copy = new EnumMap<>(Measure.class);
            copy.putAll(values);
            values = Collections.unmodifiableMap(copy);
        }

        private static Totals zero() {
            Map<Measure, BigDecimal> m = new EnumMap<>(Measure.class);
            for (Measure x : Measure.values()) {
                m.put(x, BigDecimal.ZERO);
            }
            return new Totals(m);
        }

        /** The value, or null when unknown. */
        public BigDecimal get(Measure m) {
            return values.get(m);
        }

        public long events() {
            BigDecimal v = values.get(Measure.EVENTS);
            return v == null ? 0 : v.longValueExact();
        }

        public BigDecimal costUsd() {
            BigDecimal v = values.get(Measure.COST_USD);
            return v == null ? BigDecimal.ZERO : v;
        }

        public long totalTokens() {
            BigDecimal v = values.get(Measure.TOTAL_TOKENS);
            return v == null ? 0 : v.longValueExact();
        }
    }

    /**
     * What became of the events accepted for one day.
     *
     * @param accepted               accepted by record() (events of written batches, and pending ones)
     * @param written                written into llm_usage by their batch
     * @param deadLettered           refused (by validation or ClickHouse) and kept in usage_dead_letter
     * @param deadLetteredUnresolved of those, still waiting for an admin to replay or discard them
     * @param replayed               dead letters written by a replay (counted in written totals, not in written)
     * @param discarded              dead letters an admin discarded, with a reason
     * @param duplicates             late duplicates: already in llm_usage from an earlier batch, not written again
     * @param pending                accepted, not written yet (sealed or not)
     */
    public record Accounting(long accepted, long written, long deadLettered, long deadLetteredUnresolved,
                             long replayed, long discarded, long duplicates, long pending) {
        public static final Accounting NONE = new Accounting(0, 0, 0, 0, 0, 0, 0, 0);

        /** accepted = written + dead-lettered + duplicates + pending. */
        public boolean balanced() {
            return accepted == written + deadLettered + duplicates + pending;
        }
    }

    /**
     * @param written     written according to PostgreSQL (batches and replays)
     * @param raw         rows in llm_usage, as written
     * @param adjusted    adjustments appended according to PostgreSQL (reprice chunks done)
     * @param adjustments rows in llm_usage_adjustment
     * @param rollups     sums in each rollup table, by table name: usage as written plus its adjustments
     * @param accounting  what became of the day's accepted events
     */
    public record Day(LocalDate day, Totals written, Totals raw, Totals adjusted, Totals adjustments,
                      Map<String, Totals> rollups, Accounting accounting) {
        public Day {
            rollups = Collections.unmodifiableMap(new LinkedHashMap<>(rollups));
        }

        public Totals rollup() {
            return rollups.getOrDefault(Rollups.DAILY.table(), Totals.ZERO);
        }

        public long pending() {
            return accounting.pending();
        }

        public long deadLettered() {
            return accounting.deadLettered();
        }

        /** llm_usage plus its adjustments: what every rollup must hold. */
        public Totals corrected() {
            Map<Measure, BigDecimal> sum = new EnumMap<>(Measure.class);
            for (Measure m : Measure.values()) {
                BigDecimal r = raw.get(m);
                BigDecimal a = adjustments.get(m);
                if (r != null) {
                    sum.put(m, a == null ? r : r.add(a));
                }
            }
            return new Totals(sum);
        }

        /**
         * The differences of this day: written vs raw, adjusted vs adjustments, raw plus adjustments vs every
         * rollup, and the accounting.
         */
        List<Difference> differences() {
            List<Difference> out = new ArrayList<>();
            if (!accounting.balanced()) {
                out.add(new Difference(day, Difference.ACCOUNTING, "accepted",
                        BigDecimal.valueOf(accounting.accepted()),
                        BigDecimal.valueOf(accounting.written() + accounting.deadLettered() + accounting.duplicates()
                                + accounting.pending())));
            }
            for (Measure m : Measure.values()) {
                BigDecimal w = written.get(m);
                BigDecimal r = raw.get(m);
                if (w != null && r != null && w.compareTo(r) != 0) {
                    out.add(new Difference(day, Difference.RAW, m.column(), w, r));
                }
            }
            for (Measure m : Measure.values()) {
                BigDecimal p = adjusted.get(m);
                BigDecimal c = adjustments.get(m);
                if (m.adjustable() && p != null && c != null && p.compareTo(c) != 0) {
                    out.add(new Difference(day, Difference.ADJUSTMENTS, m.column(), p, c));
                }
            }
            Totals corrected = corrected();
            for (Map.Entry<String, Totals> rollup : rollups.entrySet()) {
                for (Measure m : Measure.values()) {
                    BigDecimal r = corrected.get(m);
                    BigDecimal u = rollup.getValue().get(m);
                    if (r != null && u != null && r.compareTo(u) != 0) {
                        out.add(new Difference(day, rollup.getKey(), m.column(), r, u));
                    }
                }
            }
            return out;
        }

        public boolean matches() {
            return differences().isEmpty();
        }
    }

    /**
     * One disagreement.
     *
     * @param table    {@code llm_usage} (expected: PostgreSQL's written totals), {@code llm_usage_adjustment}
     *                 (expected: PostgreSQL's record of the reprice chunks done), a rollup table (expected: llm_usage
     *                 plus its adjustments), or {@code accounting} (expected: accepted; actual: written +
     *                 dead-lettered + duplicates + pending)
     * @param column   the measure's column, or {@code accepted}
     * @param expected what the source of truth says
     * @param actual   what the table holds
     */
    public record Difference(LocalDate day, String table, String column, BigDecimal expected, BigDecimal actual) {
        public static final String RAW = "llm_usage";
        public static final String ADJUSTMENTS = "llm_usage_adjustment";
        public static final String ACCOUNTING = "accounting";

        @Override
        public String toString() {
            return day + " " + table + "." + column + ": expected " + expected.toPlainString() + ", holds "
                    + actual.toPlainString();
        }
    }
}
