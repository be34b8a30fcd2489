package dev.tokenledger.orchestrator;

import dev.tokenledger.usage.ReconcileReport;
import java.io.PrintWriter;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "reconcile", mixinStandardHelpOptions = true,
        description = "Compare, per day, the events PostgreSQL wrote with the rows in llm_usage and llm_usage_daily"
                + " (count, tokens, cost). Exits 1 on any difference.")
final class ReconcileCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--from", description = "first day, UTC (default: 7 days ago)")
    LocalDate from;

    @Option(names = "--to", description = "last day, UTC, included (default: today)")
    LocalDate to;

    @Option(names = "--json", description = "print the report as JSON")
    boolean json;

    @Override
    public Integer call() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        try (Ledger ledger = Ledger.open(LedgerConfig.fromEnvironment(), Ledger.Mode.CLIENT)) {
            ReconcileReport report = ledger.reconciler().reconcile(from != null ? from : today.minusDays(7),
                    to != null ? to : today);
            print(spec.commandLine().getOut(), report, json);
            return report.clean() ? 0 : 1;
        }
    }

    static void print(PrintWriter out, ReconcileReport report, boolean json) {
        if (json) {
            out.println(Output.json(new Json(report.clean(), report.pending(), report)));
            return;
        }
        Output.Table t = new Output.Table("day", "written (pg)", "llm_usage", "llm_usage_daily", "cost (pg)",
                "cost (raw)", "cost (rollup)", "pending", "dead", "");
        for (ReconcileReport.Day d : report.days()) {
            t.row(d.day().toString(), Output.count(d.written().events()), Output.count(d.raw().events()),
                    Output.count(d.rollup().events()), d.written().costUsd().toPlainString(),
                    d.raw().costUsd().toPlainString(), d.rollup().costUsd().toPlainString(), Output.count(d.pending()),
                    Output.count(d.deadLettered()), d.matches() ? "ok" : "DIFFERENT");
        }
        out.print(t);
        out.println(report.clean() ? "clean: PostgreSQL, llm_usage and llm_usage_daily agree to the last digit"
                : "NOT clean: see the rows marked DIFFERENT");
    }

    record Json(boolean clean, long pending, ReconcileReport report) {
    }
}
