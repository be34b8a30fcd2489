package dev.tokenledger.orchestrator;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.tokenledger.usage.Measure;
import dev.tokenledger.usage.ReconcileReport;
import dev.tokenledger.usage.RollupRepair;
import dev.tokenledger.usage.Rollups;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "reconcile", mixinStandardHelpOptions = true,
        description = {"Account for every event PostgreSQL accepted, per day (written, dead-lettered, late duplicate or"
                + " pending), and compare what PostgreSQL says was written with llm_usage, what it recorded of reprice"
                + " runs with llm_usage_adjustment, and llm_usage plus its adjustments with each rollup, on every count,"
                + " token and cost column. Exits 0 only when clean: no difference and no unresolved dead letter"
                + " (pending events are allowed).",
                "--repair rebuilds, from llm_usage and its adjustments, each month whose rollup disagrees with them,"
                        + " then reconciles again. --json: money as exact decimal strings; differences' expected and actual too."})
final class ReconcileCommand implements Callable<Integer> {
    /** Who a repair started here is recorded as, in usage_rollup_repair. */
    static final String REQUESTED_BY = "cli";

    private final LedgerOpener ledgers;

    @Spec
    CommandSpec spec;

    @Option(names = "--from", description = "first day, UTC (default: 7 days ago)")
    LocalDate from;

    @Option(names = "--to", description = "last day, UTC, included (default: today)")
    LocalDate to;

    @Option(names = "--json", description = "print the report as JSON")
    boolean json;

    @Option(names = "--repair", description = "rebuild every month (whole month) whose rollup disagrees with llm_usage,"
            + " then reconcile again")
    boolean repair;

    ReconcileCommand(LedgerOpener ledgers) {
        this.ledgers = ledgers;
    }

    ReconcileCommand() {
        this(LedgerOpener.FROM_ENVIRONMENT);
    }

    @Override
    public Integer call() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        LocalDate first = from != null ? from : today.minusDays(7);
        LocalDate last = to != null ? to : today;
        if (first.isAfter(last)) {
            throw new IllegalArgumentException("--from (" + first + ") is after --to (" + last + ")");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
            ReconcileReport report = ledger.reconciler().reconcile(first, last);
            if (!repair) {
                print(out, report, json);
                return report.clean() ? 0 : 1;
            }
            List<Integer> months = report.rollupMonths();
            if (!json) {
                print(out, report, false);
                out.println();
            }
            List<Repair> repairs = new ArrayList<>();
            if (months.isEmpty()) {
                if (!json) {
                    out.println("repair: every rollup agrees with llm_usage; nothing to rebuild");
                }
                if (json) {
                    out.println(Output.json(Json.of(report, repairs)));
                }
                return report.clean() ? 0 : 1;
            }
            if (!json) {
                out.println("repair: " + months.size() + " month(s) with a rollup that disagrees with llm_usage,"
                        + " rebuilt from llm_usage (every day of the month):");
                out.flush();
            }
            for (int month : months) {
                Repair r = repairMonth(ledger, month);
                repairs.add(r);
                if (!json) {
                    out.println("  " + r.line());
                    out.flush();
                }
            }
            ReconcileReport after = ledger.reconciler().reconcile(first, last);
            if (json) {
                out.println(Output.json(Json.of(after, repairs)));
            } else {
                out.println();
                out.println("after the repair:");
                print(out, after, false);
            }
            return after.clean() ? 0 : 1;
        }
    }

    private static Repair repairMonth(Ledger ledger, int month) {
        try {
            RollupRepair.Outcome o = ledger.rollupRepair().repairMonth(month, REQUESTED_BY);
            return new Repair(month(month), o.rebuilt(), o.ok(), o.detail(), differencesJson(o.before()),
                    differencesJson(o.after()));
        } catch (RuntimeException e) {
            return new Repair(month(month), false, false, "failed: " + e.getMessage(), List.of(), List.of());
        }
    }

    static void print(PrintWriter out, ReconcileReport report, boolean json) {
        if (json) {
            out.println(Output.json(Json.of(report, null)));
            return;
        }
        List<String> rollups = rollupTables(report);
        List<String> header = new ArrayList<>(List.of("day", "accepted", "written (pg)", "llm_usage"));
        header.addAll(rollups);
        header.addAll(List.of("adjusted USD (pg)", Rollups.ADJUSTMENTS + " USD", "pending", "dead (unresolved)",
                "duplicates", ""));
        Output.Table t = new Output.Table(header.toArray(String[]::new));
        for (ReconcileReport.Day d : report.days()) {
            ReconcileReport.Accounting a = d.accounting();
            List<String> row = new ArrayList<>(List.of(d.day().toString(), Output.count(a.accepted()),
                    count(d.written().get(Measure.EVENTS)), count(d.raw().get(Measure.EVENTS))));
            for (String table : rollups) {
                row.add(count(d.rollups().getOrDefault(table, ReconcileReport.Totals.ZERO).get(Measure.EVENTS)));
            }
            row.addAll(List.of(cost(d.adjusted()), cost(d.adjustments()), Output.count(a.pending()),
                    Output.count(a.deadLettered()) + " (" + Output.count(a.deadLetteredUnresolved()) + ")",
                    Output.count(a.duplicates()), d.matches() ? "ok" : "DIFFERENT"));
            t.row(row.toArray(String[]::new));
        }
        out.print(t);
        if (!report.differences().isEmpty()) {
            out.println();
            out.println(report.differences().size() + " difference(s):");
            Output.Table diffs = new Output.Table("day", "table", "column", "expected", "actual", "expected is");
            for (ReconcileReport.Difference d : report.differences()) {
                diffs.row(d.day().toString(), d.table(), d.column(), exact(d.column(), d.expected()),
                        exact(d.column(), d.actual()), expectedFrom(d.table()));
            }
            out.print(diffs);
        }
        out.println();
        for (String line : verdict(report, rollups)) {
            out.println(line);
        }
    }

    /** The verdict line, then what to do about each kind of difference. */
    static List<String> verdict(ReconcileReport report, List<String> rollups) {
        List<String> lines = new ArrayList<>();
        String tables = "PostgreSQL, llm_usage, " + Rollups.ADJUSTMENTS + " and " + String.join(", ", rollups);
        if (report.clean()) {
            lines.add("clean: every accepted event is accounted for, and " + tables + " agree on every column to the"
                    + " last digit" + (report.pending() > 0 ? " (" + Output.count(report.pending())
                    + " event(s) still pending: accepted, not written yet)" : ""));
            return lines;
        }
        List<String> why = new ArrayList<>();
        if (!report.differences().isEmpty()) {
            why.add(report.differences().size() + " difference(s)");
        }
        if (report.unresolvedDeadLetters() > 0) {
            why.add(Output.count(report.unresolvedDeadLetters()) + " unresolved dead letter(s)");
        }
        lines.add("NOT clean: " + String.join(", ", why));
        List<ReconcileReport.Difference> diffs = report.differences();
        if (diffs.stream().anyMatch(d -> d.table().equals(ReconcileReport.Difference.ACCOUNTING))) {
            lines.add("- accounting: some accepted events are not accounted for (accepted is not written + dead-lettered"
                    + " + duplicates + pending)");
        }
        if (diffs.stream().anyMatch(d -> d.table().equals(ReconcileReport.Difference.RAW))) {
            lines.add("- llm_usage disagrees with what PostgreSQL recorded as written" + (report.pending() > 0
                    ? " (a batch written while this ran shows up once: run it again)" : ""));
        }
        if (diffs.stream().anyMatch(d -> d.table().equals(ReconcileReport.Difference.ADJUSTMENTS))) {
            lines.add("- " + Rollups.ADJUSTMENTS + " disagrees with what PostgreSQL recorded of reprice runs"
                    + " (usage_reprice_day): a run working now shows up until its day is recorded (run this again);"
                    + " otherwise ./tokenledger reprice --list names the runs");
        }
        if (!report.rollupDifferences().isEmpty()) {
            lines.add("- a rollup disagrees with llm_usage plus its adjustments: ./tokenledger reconcile --repair"
                    + " rebuilds its month from them");
        }
        if (report.unresolvedDeadLetters() > 0) {
            lines.add("- " + Output.count(report.unresolvedDeadLetters()) + " dead letter(s) wait for replay or discard:"
                    + " ./tokenledger dead-letters list");
        }
        return lines;
    }

    private static List<String> rollupTables(ReconcileReport report) {
        List<String> tables = new ArrayList<>();
        Rollups.ALL.forEach(r -> tables.add(r.table()));
        for (ReconcileReport.Day d : report.days()) {
            d.rollups().keySet().stream().filter(t -> !tables.contains(t)).forEach(tables::add);
        }
        return tables;
    }

    private static String expectedFrom(String table) {
        if (table.equals(ReconcileReport.Difference.RAW)) {
            return "written (pg)";
        }
        if (table.equals(ReconcileReport.Difference.ADJUSTMENTS)) {
            return "adjusted (pg)";
        }
        if (table.equals(ReconcileReport.Difference.ACCOUNTING)) {
            return "accepted";
        }
        return "llm_usage + adjustments";
    }

    /** A day's change of cost by corrections, exactly ({@code 0} when none). */
    private static String cost(ReconcileReport.Totals t) {
        BigDecimal v = t.get(Measure.COST_USD);
        return v == null ? "-" : Output.delta(v);
    }

    private static String count(BigDecimal v) {
        return v == null ? "-" : Output.count(v.longValueExact());
    }

    /** A value of {@code column}, exactly: money at scale 12 (never rounded), counts as whole numbers. */
    static String exact(String column, BigDecimal v) {
        if (v == null) {
            return null;
        }
        Measure m = measure(column);
        return m != null && m.isMoney() ? money(v) : v.toPlainString();
    }

    private static String money(BigDecimal v) {
        return Output.exact(v);
    }

    private static Measure measure(String column) {
        for (Measure m : Measure.values()) {
            if (m.column().equals(column)) {
                return m;
            }
        }
        return null;
    }

    private static String month(int yyyymm) {
        return String.format("%04d-%02d", yyyymm / 100, yyyymm % 100);
    }

    private static List<DifferenceJson> differencesJson(List<ReconcileReport.Difference> diffs) {
        return diffs.stream().map(DifferenceJson::of).toList();
    }

    /**
     * The report as {@code --json} prints it: snake_case names, money as exact decimal strings (scale 12),
     * counts and tokens as integers, an unknown value (PostgreSQL rows written before it was recorded) as null.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Json(boolean clean, LocalDate from, LocalDate to, long pending, long unresolvedDeadLetters,
                long lateDuplicates, List<DayJson> days, List<DifferenceJson> differences, List<Repair> repairs) {
        static Json of(ReconcileReport r, List<Repair> repairs) {
            return new Json(r.clean(), r.from(), r.to(), r.pending(), r.unresolvedDeadLetters(), r.lateDuplicates(),
                    r.days().stream().map(DayJson::of).toList(), differencesJson(r.differences()), repairs);
        }
    }

    /**
     * One day: what became of its accepted events, and its totals by source: written_pg, llm_usage, adjusted_pg
     * (PostgreSQL's record of the reprice chunks done) and llm_usage_adjustment (both: the unpriced count and the cost
     * columns, the only ones a correction moves), then each rollup (llm_usage plus its adjustments).
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record DayJson(LocalDate day, boolean ok, AccountingJson accounting, Map<String, Map<String, Object>> totals) {
        static DayJson of(ReconcileReport.Day d) {
            Map<String, Map<String, Object>> totals = new LinkedHashMap<>();
            totals.put("written_pg", totals(d.written(), false));
            totals.put(ReconcileReport.Difference.RAW, totals(d.raw(), false));
            totals.put("adjusted_pg", totals(d.adjusted(), true));
            totals.put(ReconcileReport.Difference.ADJUSTMENTS, totals(d.adjustments(), true));
            d.rollups().forEach((table, t) -> totals.put(table, totals(t, false)));
            return new DayJson(d.day(), d.matches(), AccountingJson.of(d.accounting()), totals);
        }

        private static Map<String, Object> totals(ReconcileReport.Totals t, boolean adjustableOnly) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Measure m : Measure.values()) {
                if (adjustableOnly && !m.adjustable()) {
                    continue;
                }
                BigDecimal v = t.get(m);
                out.put(m.column(), v == null ? null : m.isMoney() ? money(v) : (Object) v.longValueExact());
            }
            return out;
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record AccountingJson(long accepted, long written, long deadLettered, long deadLetteredUnresolved, long replayed,
                          long discarded, long duplicates, long pending, boolean balanced) {
        static AccountingJson of(ReconcileReport.Accounting a) {
            return new AccountingJson(a.accepted(), a.written(), a.deadLettered(), a.deadLetteredUnresolved(),
                    a.replayed(), a.discarded(), a.duplicates(), a.pending(), a.balanced());
        }
    }

    /** One difference; expected and actual as exact decimal strings (money at scale 12). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record DifferenceJson(LocalDate day, String table, String column, String expected, String actual) {
        static DifferenceJson of(ReconcileReport.Difference d) {
            return new DifferenceJson(d.day(), d.table(), d.column(), exact(d.column(), d.expected()),
                    exact(d.column(), d.actual()));
        }
    }

    /** What {@code --repair} did to one month. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Repair(String month, boolean rebuilt, boolean ok, String detail, List<DifferenceJson> differencesBefore,
                  List<DifferenceJson> differencesAfter) {
        String line() {
            String counts = rollupOnly(differencesBefore) + " rollup difference(s) before, " + rollupOnly(differencesAfter)
                    + " after";
            return month + ": " + detail + (rebuilt ? " (" + counts + ")" : "") + (ok ? "" : " — NOT repaired");
        }

        private static long rollupOnly(List<DifferenceJson> diffs) {
            return diffs.stream().filter(d -> !d.table().equals(ReconcileReport.Difference.RAW)
                    && !d.table().equals(ReconcileReport.Difference.ADJUSTMENTS)
                    && !d.table().equals(ReconcileReport.Difference.ACCOUNTING)).count();
        }
    }
}
