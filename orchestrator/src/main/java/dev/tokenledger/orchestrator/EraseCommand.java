package dev.tokenledger.orchestrator;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.tokenledger.usage.Eraser;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "erase", mixinStandardHelpOptions = true,
        description = {"Erase a user's usage everywhere the ledger keeps it: PostgreSQL's staging (written or not yet)"
                + " and dead letters, llm_usage, llm_usage_adjustment, and every rollup (each month rebuilt exactly)."
                + " Other users' figures do not move; reconcile stays clean.",
                "Kept: an audit row (who asked, when, the reason, counts and cost removed; never the user id) and the"
                        + " erased event ids: a re-send of one is refused (rejected, 'erased'); new events of the user"
                        + " are recorded as usual.",
                "The erasure is recorded and queued as a usage_erase job, then worked here month by month (a running"
                        + " service's worker may take it instead). A stopped erasure resumes with --resume ID.",
                "Exit codes: 0 done, 1 stopped (resume it), 2 a usage error."})
final class EraseCommand implements Callable<Integer> {
    private final LedgerOpener ledgers;

    @Spec
    CommandSpec spec;

    @Option(names = "--user", paramLabel = "U", description = "the user whose usage is erased")
    String user;

    @Option(names = "--workspace", paramLabel = "W", description = "only the user's usage in this workspace")
    String workspace;

    @Option(names = "--reason", paramLabel = "TEXT", description = "why (kept in the audit; do not name the user)")
    String reason;

    @Option(names = "--dry-run", description = "print what would be removed; change nothing")
    boolean dryRun;

    @Option(names = "--list", description = "list the erasures (the audit), newest first")
    boolean list;

    @Option(names = "--resume", paramLabel = "ID", description = "work an erasure that was queued or stopped")
    Long resume;

    @Option(names = "--json", description = "print the result as JSON")
    boolean json;

    EraseCommand(LedgerOpener ledgers) {
        this.ledgers = ledgers;
    }

    EraseCommand() {
        this(LedgerOpener.FROM_ENVIRONMENT);
    }

    @Override
    public Integer call() {
        try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
            Eraser eraser = ledger.eraser();
            if (list) {
                List<Eraser.Erasure> all = eraser.list(100);
                if (json) {
                    out().println(Output.json(new ListJson(all.stream().map(ErasureJson::of).toList())));
                } else if (all.isEmpty()) {
                    out().println("no erasures");
                } else {
                    Output.Table t = new Output.Table("erasure", "status", "created", "requested by", "events",
                            "staged", "dead letters", "adjustments", "cost removed", "reason");
                    for (Eraser.Erasure e : all) {
                        t.row(Long.toString(e.erasureId()), e.status() + (e.error() == null ? "" : " (error)"),
                                e.createdAt().toString(), e.requestedBy(), Output.count(e.removed().events()),
                                Output.count(e.removed().staged()), Output.count(e.removed().deadLetters()),
                                Output.count(e.removed().adjustments()), Output.exact(e.removed().cost()), e.reason());
                    }
                    out().print(t);
                }
                return 0;
            }
            Eraser.Erasure erasure;
            if (resume != null) {
                erasure = eraser.find(resume).orElseThrow(() ->
                        new IllegalArgumentException("no erasure " + resume + " (./tokenledger erase --list)"));
            } else {
                Eraser.Request request = new Eraser.Request(user, workspace, reason, RepriceCommand.requestedBy());
                if (dryRun) {
                    Eraser.Summary s = eraser.dryRun(request);
                    if (json) {
                        out().println(Output.json(SummaryJson.of(true, s)));
                    } else {
                        out().println("dry run, nothing changed: would remove");
                        summary(s);
                    }
                    return 0;
                }
                erasure = eraser.start(request);
            }
            try {
                erasure = eraser.run(erasure.erasureId());
            } catch (RuntimeException e) {
                spec.commandLine().getErr().println("tokenledger erase: erasure " + erasure.erasureId() + " stopped: "
                        + e.getMessage());
                spec.commandLine().getErr().println("  the months done are kept; ./tokenledger erase --resume "
                        + erasure.erasureId() + " continues it (a running service's worker retries it by itself)");
                return 1;
            }
            if (json) {
                out().println(Output.json(ErasureJson.of(erasure)));
            } else {
                out().println("erasure " + erasure.erasureId() + " " + erasure.status() + ": removed");
                summary(erasure.removed());
            }
            return 0;
        }
    }

    private void summary(Eraser.Summary s) {
        String line = "  %-28s %s%n";
        out().printf(line, "events (llm_usage)", Output.count(s.events()));
        out().printf(line, "staged rows (usage_event)", Output.count(s.staged()) + " (" + Output.count(s.unwritten())
                + " not written yet)");
        out().printf(line, "dead letters", Output.count(s.deadLetters()));
        out().printf(line, "adjustments", Output.count(s.adjustments()));
        out().printf(line, "cost (USD)", Output.exact(s.cost()));
        out().printf(line, "months", s.months().isEmpty() ? "none" : s.months().toString());
    }

    private PrintWriter out() {
        return spec.commandLine().getOut();
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record SummaryJson(boolean dryRun, long events, long staged, long unwritten, long deadLetters, long adjustments,
                       String cost, List<Integer> months) {
        static SummaryJson of(boolean dryRun, Eraser.Summary s) {
            return new SummaryJson(dryRun, s.events(), s.staged(), s.unwritten(), s.deadLetters(), s.adjustments(),
                    Output.exact(s.cost()), s.months());
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ErasureJson(long erasureId, String status, String requestedBy, String reason, boolean scopedToWorkspace,
                       Instant createdAt, Instant startedAt, Instant finishedAt, String error, SummaryJson removed) {
        static ErasureJson of(Eraser.Erasure e) {
            return new ErasureJson(e.erasureId(), e.status(), e.requestedBy(), e.reason(), e.scopedToWorkspace(),
                    e.createdAt(), e.startedAt(), e.finishedAt(), e.error(), SummaryJson.of(false, e.removed()));
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record ListJson(List<ErasureJson> erasures) {
    }
}
