package dev.tokenledger.orchestrator;

import dev.tokenledger.usage.Reports;
import java.io.PrintWriter;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Cost and tokens by user, workspace, model, agent or day, answered from llm_usage_daily"
                + " (or from llm_usage when the rollup cannot answer).",
                "Costs are the current ones: usage as written plus the corrections reprice runs appended"
                        + " (llm_usage_adjustment); --as-written shows the totals as they were written."})
final class ReportCommand implements Callable<Integer> {
    private final LedgerOpener ledgers;

    @Spec
    CommandSpec spec;

    @Option(names = "--by", required = true, description = "user | workspace | model | agent | day | provider | session | tier")
    String by;

    @Option(names = "--from", description = "first day, UTC (default: 30 days ago)")
    LocalDate from;

    @Option(names = "--to", description = "last day, UTC, included (default: today)")
    LocalDate to;

    @Option(names = "--workspace", description = "only this workspace")
    String workspace;

    @Option(names = "--user", description = "only this user")
    String user;

    @Option(names = "--model", description = "only this model")
    String model;

    @Option(names = "--limit", defaultValue = "50", description = "most lines (top-N by cost; default ${DEFAULT-VALUE})")
    int limit;

    @Option(names = "--format", defaultValue = "table", description = "table | json | csv")
    String format;

    @Option(names = "--as-written", description = "the totals as written, before any correction (reprice run)")
    boolean asWritten;

    ReportCommand(LedgerOpener ledgers) {
        this.ledgers = ledgers;
    }

    ReportCommand() {
        this(LedgerOpener.FROM_ENVIRONMENT);
    }

    @Override
    public Integer call() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        Reports.Query q = new Reports.Query(Reports.By.parse(by), from != null ? from : today.minusDays(30),
                to != null ? to : today, workspace, user, model, limit, asWritten);
        if (!format.equals("table") && !format.equals("json") && !format.equals("csv")) {
            throw new IllegalArgumentException("--format must be table, json or csv, got '" + format + "'");
        }
        try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
            Reports.Report report = ledger.reports().run(q);
            PrintWriter out = spec.commandLine().getOut();
            print(out, report, format);
            if (format.equals("table") && !asWritten && (user == null || user.isBlank())
                    && (model == null || model.isBlank())) {
                // Reasons and flags are kept per event, so they answer for the range and workspace only.
                Reports.PricingQuality quality = ledger.reports().pricingQuality(q.from(), q.to(), workspace);
                if (!quality.unpricedByReason().isEmpty()) {
                    out.println("unpriced by reason: " + counts(quality.unpricedByReason()));
                }
                if (!quality.flaggedByFlag().isEmpty()) {
                    out.println("flagged (priced, worth a look): " + counts(quality.flaggedByFlag())
                            + " (./tokenledger explain-cost --event-id ID shows why)");
                }
            }
            return 0;
        }
    }

    private static String counts(java.util.Map<String, Long> counts) {
        return counts.entrySet().stream().map(e -> e.getKey() + " " + Output.count(e.getValue()))
                .collect(java.util.stream.Collectors.joining(", "));
    }

    static void print(PrintWriter out, Reports.Report report, String format) {
        switch (format) {
            case "json" -> out.println(Output.json(ReportJson.of(report)));
            case "csv" -> out.print(table(report, true).csv());
            default -> {
                Reports.Query q = report.query();
                out.println("Cost by " + q.by().label() + ", " + q.from() + " .. " + q.to() + " UTC"
                        + (q.workspace() != null ? ", workspace " + q.workspace() : "")
                        + (q.asWritten() ? ", as written (before corrections)" : "")
                        + " (from " + report.tables() + ")");
                out.print(table(report, false));
                long unpriced = report.lines().stream().mapToLong(Reports.Line::unpricedEvents).sum();
                out.println("total: " + Output.count(report.totalEvents()) + " calls, " + Output.money(report.totalCost())
                        + (unpriced > 0 ? " (+ " + Output.count(unpriced) + " unpriced calls of unknown cost)" : ""));
            }
        }
    }

    /**
     * The report as a table; {@code exact} (CSV) keeps every column and digit. On a terminal, the columns of what is
     * billed besides tokens (image tokens, web searches, images) show only when a line has some.
     */
    static Output.Table table(Reports.Report report, boolean exact) {
        boolean extras = exact || report.lines().stream()
                .anyMatch(l -> l.imageTokens() != 0 || l.webSearchRequests() != 0 || l.images() != 0);
        List<String> header = new ArrayList<>(List.of(report.query().by().label(), "calls", "unpriced", "prompt tok",
                "cached tok", "completion tok", "reasoning tok"));
        if (extras) {
            header.addAll(List.of("image tok", "web searches", "images"));
        }
        header.add("cost USD");
        Output.Table t = new Output.Table(header.toArray(String[]::new));
        for (Reports.Line l : report.lines()) {
            List<String> cells = new ArrayList<>(List.of(l.key().isEmpty() ? "(none)" : l.key(),
                    number(l.events(), exact), number(l.unpricedEvents(), exact), number(l.promptTokens(), exact),
                    number(l.cachedTokens(), exact), number(l.completionTokens(), exact),
                    number(l.thoughtsTokens(), exact)));
            if (extras) {
                cells.addAll(List.of(number(l.imageTokens(), exact), number(l.webSearchRequests(), exact),
                        number(l.images(), exact)));
            }
            cells.add(exact ? l.costUsd().toPlainString()
                    : l.unpricedEvents() == l.events() ? "unpriced" : Output.money(l.costUsd()));
            t.row(cells.toArray(String[]::new));
        }
        return t;
    }

    private static String number(long n, boolean exact) {
        return exact ? Long.toString(n) : Output.count(n);
    }
}
