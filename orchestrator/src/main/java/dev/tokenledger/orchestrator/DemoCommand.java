package dev.tokenledger.orchestrator;

import dev.tokenledger.usage.Reports;
import dev.tokenledger.pricing.PricedCost;
import dev.tokenledger.pricing.TokenUsage;
import dev.tokenledger.usage.ReconcileReport;
import dev.tokenledger.usage.UsageBacklog;
import dev.tokenledger.usage.UsageEvent;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "On embedded defaults, simulate an orchestrator making LLM calls, write them exactly once to"
                + " ClickHouse, and print what they cost. Data stays in TOKENLEDGER_HOME between runs.")
final class DemoCommand implements Callable<Integer> {
    private static final Duration WRITE_DEADLINE = Duration.ofMinutes(5);

    @Spec
    CommandSpec spec;

    @Option(names = "--events", defaultValue = "3000", description = "LLM calls to simulate (default ${DEFAULT-VALUE})")
    int events;

    @Option(names = "--keep-running", negatable = true,
            description = "keep the service and dashboards up after the reports (default: when run in a terminal)")
    Boolean keepRunning;

    @Override
    public Integer call() throws InterruptedException {
        if (events < 1 || events > 10_000_000) {
            throw new IllegalArgumentException("--events must be between 1 and 10000000, got " + events);
        }
        PrintWriter out = spec.commandLine().getOut();
        LedgerConfig config = LedgerConfig.fromEnvironment().localOnly();
        out.println("tokenledger demo: starting " + (config.postgres().isEmbedded() ? "embedded PostgreSQL" : "PostgreSQL")
                + " and " + (config.embeddedClickHouse() ? "embedded ClickHouse (chDB)" : "ClickHouse") + ", data in "
                + config.home());
        out.flush();
        try (Ledger ledger = Ledger.open(config, Ledger.Mode.SERVICE); Service service = Service.start(ledger)) {
            out.println("  PostgreSQL " + ledger.postgres().serverVersion() + ", ClickHouse " + ledger.clickHouse().version()
                    + ", price book " + Output.count(ledger.pricing().modelCount()) + " models");
            UsageBacklog backlog = ledger.backlog();
            long before = ledger.reports().rawEvents() + backlog.snapshot().pendingEvents();
            if (before > 0) {
                out.println("  found " + Output.count(before) + " events from earlier runs in " + config.home()
                        + " (kept); adding " + Output.count(events) + " more");
            }
            checkModelsArePriced(ledger, out);

            DemoTraffic traffic = new DemoTraffic(System.nanoTime(), Instant.now());
            Progress recording = new Progress(out, "recording", events);
            int done = 0;
            while (done < events) {
                List<UsageEvent> chunk = traffic.next(Math.min(250, events - done));
                ledger.recorder().record(chunk);
                done += chunk.size();
                recording.update(done);
            }
            recording.done();

            Progress writing = new Progress(out, "writing  ", events);
            long deadline = System.nanoTime() + WRITE_DEADLINE.toNanos();
            while (true) {
                long pending = backlog.snapshot().pendingEvents();
                writing.update(Math.max(0, events - pending));
                if (pending == 0) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    out.println();
                    out.println("tokenledger demo: " + pending + " events still not written after " + WRITE_DEADLINE
                            + "; see `./tokenledger health`");
                    return 1;
                }
                Thread.sleep(100);
            }
            writing.done();

            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            ReconcileReport reconcile = ledger.reconciler().reconcile(today.minusDays(31), today);
            out.println("reconcile (PostgreSQL vs llm_usage vs llm_usage_daily, 31 days): " + (reconcile.clean()
                    ? "clean, every accepted event accounted for, every column equal to the last digit"
                    : "NOT clean (" + reconcile.differences().size() + " difference(s), "
                    + reconcile.unresolvedDeadLetters() + " unresolved dead letter(s)): run ./tokenledger reconcile"));
            out.println();
            for (Reports.By by : List.of(Reports.By.MODEL, Reports.By.USER, Reports.By.WORKSPACE, Reports.By.AGENT)) {
                ReportCommand.print(out, ledger.reports().run(new Reports.Query(by, today.minusDays(30), today, null,
                        null, null, 20)), "table");
                out.println();
            }
            ReportCommand.print(out, ledger.reports().run(new Reports.Query(Reports.By.DAY, today.minusDays(6), today,
                    null, null, null, 50)), "table");
            out.println();
            service.printWhereThingsAre(out);
            boolean stay = keepRunning != null ? keepRunning : System.console() != null;
            if (stay) {
                out.println("the service keeps running; press Ctrl-C to stop (data stays in " + config.home() + ")");
                out.flush();
                service.awaitShutdown();
            }
            return reconcile.clean() ? 0 : 1;
        }
    }

    private static void checkModelsArePriced(Ledger ledger, PrintWriter out) {
        for (DemoTraffic.Model m : DemoTraffic.MODELS) {
            PricedCost c = ledger.pricing().priceEvent(m.name(), m.provider(), System.currentTimeMillis(),
                    TokenUsage.of(1_000, 100));
            boolean expected = !m.name().equals(DemoTraffic.UNKNOWN_MODEL);
            if (c.isPriced() != expected) {
                out.println("  note: " + m.name() + (c.isPriced() ? " is priced" : " is not in the price book") );
            }
        }
    }
}
