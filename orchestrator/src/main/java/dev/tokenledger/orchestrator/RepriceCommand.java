package dev.tokenledger.orchestrator;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.tokenledger.usage.RepriceRequest;
import dev.tokenledger.usage.Repricer;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "reprice", mixinStandardHelpOptions = true,
        description = {"Re-price written usage against the price book as it is now (each event at its own event_time,"
                + " overrides included) and append an adjustment for every event whose current cost differs: unpriced"
                + " to priced, priced to another amount, priced to unpriced. llm_usage is never changed; reports,"
                + " /ui and reconcile show the corrected totals (report --as-written the original ones).",
                "The run is recorded and queued as a usage_reprice job, then worked here, month by month in chunks of"
                        + " events in llm_usage's sort order (a running service's worker may take it instead: this"
                        + " waits, then finds its chunks done). Each chunk is appended exactly once, even when a run is"
                        + " stopped and resumed.",
                "--dry-run prints what a run would find and append, writing nothing. --list shows the runs.",
                "Exit codes: 0 done, 1 the run stopped (it resumes with --resume RUN_ID), 2 a usage error: --to"
                        + " before --from, a range beyond llm_usage's 13 months, no usage in the range, or a --model"
                        + " no event in it was recorded or priced as (nothing is written)."})
final class RepriceCommand implements Callable<Integer> {
    /** How often a run waiting for another one to finish asks again. */
    static final Duration WAIT_POLL = Duration.ofSeconds(1);
    /** What {@link Repricer#run} says when another run holds the run lock. */
    private static final String BUSY = "another reprice run is working";

    private final LedgerOpener ledgers;

    @Spec
    CommandSpec spec;

    @Option(names = "--from", paramLabel = "DATE", description = "first day (UTC) of the events to re-price, by event time")
    LocalDate from;

    @Option(names = "--to", paramLabel = "DATE", description = "last day (UTC), included")
    LocalDate to;

    @Option(names = "--model", paramLabel = "M", description = "only events recorded or priced as this model"
            + " (repeatable; default: every model)")
    List<String> models = new ArrayList<>();

    @Option(names = "--workspace", paramLabel = "W", description = "only this workspace")
    String workspace;

    @Option(names = "--reason", paramLabel = "TEXT", description = "why (kept with the run, shown by explain-cost)")
    String reason;

    @Option(names = "--dry-run", description = "print what a run would find and append; write nothing")
    boolean dryRun;

    @Option(names = "--list", description = "list the runs, newest first")
    boolean list;

    @Option(names = "--limit", defaultValue = "20", paramLabel = "N", description = "with --list: at most N runs"
            + " (default ${DEFAULT-VALUE})")
    int limit;

    @Option(names = "--resume", paramLabel = "RUN_ID", description = "work a run that was queued (back-pricing) or"
            + " stopped, from its first chunk not done")
    Long resume;

    @Option(names = "--json", description = "print the summary (or the list) as JSON; progress goes to stderr")
    boolean json;

    RepriceCommand(LedgerOpener ledgers) {
        this.ledgers = ledgers;
    }

    RepriceCommand() {
        this(LedgerOpener.FROM_ENVIRONMENT);
    }

    @Override
    public Integer call() throws InterruptedException {
        if (list) {
            requireNone("--list", from != null || to != null || !models.isEmpty() || workspace != null
                    || reason != null || dryRun || resume != null);
            if (limit < 1 || limit > 10_000) {
                throw new IllegalArgumentException("--limit must be between 1 and 10000, got " + limit);
            }
            return list();
        }
        if (resume != null) {
            requireNone("--resume", from != null || to != null || !models.isEmpty() || workspace != null
                    || reason != null || dryRun);
            try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
                Repricer.Run run = ledger.repricer().find(resume).orElseThrow(() ->
                        new IllegalArgumentException("no reprice run " + resume + " (./tokenledger reprice --list)"));
                return work(ledger, run);
            }
        }
        if (from == null || to == null) {
            throw new IllegalArgumentException("--from DATE and --to DATE are required (or --list, or --resume RUN_ID)");
        }
        RepriceRequest request = new RepriceRequest(from, to, models, false, workspace, reason, requestedBy());
        try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
            if (dryRun) {
                Repricer.Summary s = ledger.repricer().dryRun(request);
                if (json) {
                    out().println(Output.json(DryRunJson.of(request, s)));
                } else {
                    out().println("dry run, nothing written: " + range(request.from(), request.to(), request.models(),
                            request.includeUnpriced(), request.workspace()));
                    summary(out(), s.eventsExamined(), s.eventsAdjusted(), "would adjust", s.costBefore(),
                            s.costAfter(), s.unpricedBefore(), s.unpricedAfter());
                }
                return 0;
            }
            Repricer.Run run = ledger.repricer().start(request);
            return work(ledger, run);
        }
    }

    /** Works a recorded run here, a progress line per chunk, then prints its summary. */
    private int work(Ledger ledger, Repricer.Run run) throws InterruptedException {
        PrintWriter progress = json ? spec.commandLine().getErr() : out();
        progress.println("reprice run " + run.runId() + " (" + run.status() + "): " + range(run.from(), run.to(),
                run.models(), run.includeUnpriced(), run.workspace()) + "; reason: " + run.reason());
        progress.flush();
        Repricer repricer = ledger.repricer();
        Repricer.Run done;
        boolean told = false;
        while (true) {
            try {
                done = repricer.run(run.runId(), examined -> {
                    Repricer.Run now = repricer.find(run.runId()).orElseThrow();
                    progress.println("  chunk " + now.chunksDone() + " done: " + Output.count(now.eventsExamined())
                            + " event(s) examined of " + Output.count(now.eventsInRange()) + " in range, "
                            + Output.count(now.eventsAdjusted()) + " adjusted so far");
                    progress.flush();
                });
                break;
            } catch (Repricer.BusyException e) {
                if (!told) {
                    progress.println("  waiting: " + BUSY + " (a running service's worker may be on this very run;"
                            + " stopping here leaves the run queued for it)");
                    progress.flush();
                    told = true;
                }
                Thread.sleep(WAIT_POLL.toMillis());
            } catch (RuntimeException e) {
                return stopped(run.runId(), e);
            }
        }
        Unpriced unpriced = unpriced(ledger, done);
        if (json) {
            out().println(Output.json(RunJson.of(done, unpriced)));
        } else {
            out().println("reprice run " + done.runId() + " " + done.status() + ": " + done.chunksDone() + " chunk(s)");
            summary(out(), done.eventsExamined(), done.eventsAdjusted(), "adjusted", done.costBefore(),
                    done.costAfter(), unpriced.before(), unpriced.after());
            if (done.eventsAdjusted() > 0) {
                out().println("reports, /ui and reconcile show the corrected totals; ./tokenledger report --as-written"
                        + " the original ones; ./tokenledger explain-cost --event-id ID traces one event");
            }
        }
        return 0;
    }

    private int stopped(long runId, RuntimeException e) {
        spec.commandLine().getErr().println("tokenledger reprice: run " + runId + " stopped: " + e.getMessage());
        spec.commandLine().getErr().println("  the chunks done are kept; ./tokenledger reprice --resume " + runId
                + " continues it (a running service's worker retries it by itself)");
        return 1;
    }

    private int list() {
        try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
            List<Repricer.Run> runs = ledger.repricer().list(limit);
            if (json) {
                out().println(Output.json(new ListJson(runs.stream().map(r -> RunJson.of(r, null)).toList())));
                return 0;
            }
            if (runs.isEmpty()) {
                out().println("no reprice runs");
                return 0;
            }
            Output.Table t = new Output.Table("run", "status", "created", "requested by", "range", "models", "workspace",
                    "chunks", "examined", "adjusted", "cost before", "cost after", "reason");
            for (Repricer.Run r : runs) {
                t.row(Long.toString(r.runId()), r.status() + (r.error() == null ? "" : " (error)"),
                        r.createdAt().toString(), r.requestedBy(), r.from() + " .. " + r.to(),
                        r.models().isEmpty() ? "all" : models(r.models(), 3)
                                + (r.includeUnpriced() ? " + unpriced" : ""),
                        r.workspace() == null ? "all" : r.workspace(), Integer.toString(r.chunksDone()),
                        Output.count(r.eventsExamined()), Output.count(r.eventsAdjusted()), Output.exact(r.costBefore()),
                        Output.exact(r.costAfter()), r.reason());
            }
            out().print(t);
            return 0;
        }
    }

    private static void summary(PrintWriter out, long examined, long adjusted, String adjustedLabel, BigDecimal before,
                                BigDecimal after, long unpricedBefore, long unpricedAfter) {
        String line = "  %-20s %s%n";
        out.printf(line, "events examined", Output.count(examined));
        out.printf(line, "events " + adjustedLabel, Output.count(adjusted));
        out.printf(line, "cost (USD)", Output.exact(before) + " -> " + Output.exact(after) + " ("
                + Output.delta(after.subtract(before)) + ")");
        out.printf(line, "unpriced events", Output.count(unpricedBefore) + " -> " + Output.count(unpricedAfter));
    }

    private static String range(LocalDate from, LocalDate to, List<String> models, boolean includeUnpriced,
                                String workspace) {
        return from + " .. " + to + ", " + (models.isEmpty() ? "every model"
                : (models.size() == 1 ? "model " : "models ") + models(models, 5)
                + (includeUnpriced ? " plus every unpriced event" : ""))
                + ", " + (workspace == null ? "every workspace" : "workspace " + workspace);
    }

    /**
     * Model names for a line of text: all of them, or the first {@code most} and how many more (a refresh may add
     * hundreds; --json lists them all).
     */
    static String models(List<String> models, int most) {
        if (models.size() <= most) {
            return String.join(", ", models);
        }
        return String.join(", ", models.subList(0, most)) + " and " + (models.size() - most) + " more";
    }

    private void requireNone(String option, boolean others) {
        if (others) {
            throw new IllegalArgumentException(option + " takes no other option but --json"
                    + (option.equals("--list") ? " and --limit" : ""));
        }
    }

    /** Who a run started here is recorded as, in usage_reprice_run.requested_by. */
    static String requestedBy() {
        return "cli:" + System.getProperty("user.name");
    }

    private PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** How many of the events a run examined were unpriced before it and are now. */
    record Unpriced(long before, long after) {
    }

    static Unpriced unpriced(Ledger ledger, Repricer.Run run) {
        return new Unpriced(run.unpricedBefore(), run.unpricedAfter());
    }

    /**
     * A run as {@code --json} prints it: snake_case, money as exact decimal strings (scale 12), absent values left
     * out ({@code unpriced_before} and {@code unpriced_after} in {@code --list}).
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record RunJson(long runId, String status, String requestedBy, String reason, LocalDate from, LocalDate to,
                   List<String> models, boolean includeUnpriced, String workspace, Instant createdAt,
                   Instant startedAt, Instant finishedAt, String error, int chunksDone, long eventsInRange,
                   long eventsExamined,
                   long eventsAdjusted, String costBefore, String costAfter, String costChange, Long unpricedBefore,
                   Long unpricedAfter) {
        static RunJson of(Repricer.Run r, Unpriced unpriced) {
            return new RunJson(r.runId(), r.status(), r.requestedBy(), r.reason(), r.from(), r.to(), r.models(),
                    r.includeUnpriced(), r.workspace(), r.createdAt(), r.startedAt(), r.finishedAt(), r.error(),
                    r.chunksDone(), r.eventsInRange(), r.eventsExamined(), r.eventsAdjusted(), Output.exact(r.costBefore()),
                    Output.exact(r.costAfter()), Output.exact(r.costAfter().subtract(r.costBefore())),
                    unpriced == null ? null : unpriced.before(), unpriced == null ? null : unpriced.after());
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record ListJson(List<RunJson> runs) {
    }

    /** What a run would do, as {@code --dry-run --json} prints it. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DryRunJson(boolean dryRun, LocalDate from, LocalDate to, List<String> models, String workspace,
                      long eventsExamined, long eventsAdjusted, String costBefore, String costAfter, String costChange,
                      long unpricedBefore, long unpricedAfter) {
        static DryRunJson of(RepriceRequest q, Repricer.Summary s) {
            return new DryRunJson(true, q.from(), q.to(), q.models(), q.workspace(), s.eventsExamined(),
                    s.eventsAdjusted(), Output.exact(s.costBefore()), Output.exact(s.costAfter()),
                    Output.exact(s.costAfter().subtract(s.costBefore())), s.unpricedBefore(), s.unpricedAfter());
        }
    }
}
