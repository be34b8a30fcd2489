package dev.tokenledger.orchestrator;

import dev.tokenledger.usage.Budget;
import dev.tokenledger.usage.BudgetStore;
import dev.tokenledger.usage.Budgets;
import dev.tokenledger.usage.BurnDown;
import dev.tokenledger.usage.InvalidBudgetException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "budget", mixinStandardHelpOptions = true,
        description = {"Budgets kept in PostgreSQL: a USD limit per day, week or month (UTC or a named time zone) for"
                + " a workspace, or a user, an agent or a model family (a model-name prefix) in it. Thresholds (default"
                + " 50%, 80%, 100%) fire an alert once per period; a hard budget makes /v1/budgets/check answer"
                + " allowed=false at its limit. A running service sees a change within a second. See docs/budgets.md.",
                "Exit codes: 0 done, 1 refused (the message names the field; nothing was changed), 2 a usage error."})
final class BudgetCommand implements Runnable {
    private final LedgerOpener ledgers;

    @Spec
    CommandSpec spec;

    BudgetCommand(LedgerOpener ledgers) {
        this.ledgers = ledgers;
    }

    BudgetCommand() {
        this(LedgerOpener.FROM_ENVIRONMENT);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "set", mixinStandardHelpOptions = true, description = "Create a budget, or replace the one of that name.")
    int set(@Parameters(paramLabel = "NAME", description = "a-z, 0-9, '_', '.', '-'") String name,
            @Option(names = "--workspace", required = true) String workspace,
            @Option(names = "--user", description = "only this user's calls in the workspace") String user,
            @Option(names = "--agent", description = "only this agent's calls in the workspace") String agent,
            @Option(names = "--model", description = "only this model family: model names starting with it (gpt-4o"
                    + " covers gpt-4o-mini)") String model,
            @Option(names = "--period", required = true, description = "day, week (from Monday) or month") String period,
            @Option(names = "--time-zone", description = "IANA zone or offset the periods start in (default UTC)")
            String zone,
            @Option(names = "--limit", required = true, description = "USD, e.g. 250.00") String limit,
            @Option(names = "--threshold", split = ",", paramLabel = "FRACTION",
                    description = "alert at these fractions of the limit (default 0.5,0.8,1)") List<String> thresholds,
            @Option(names = "--soft", description = "alert only: never make the check say stop") boolean soft,
            @Option(names = "--webhook", description = "POST alerts here (signed with TOKENLEDGER_BUDGET_WEBHOOK_SECRET)")
            String webhook,
            @Option(names = "--json", description = "print it as JSON") boolean json) {
        try (LedgerOpener.Postgres pg = ledgers.postgres()) {
            Budget b = new Budget(name, workspace, user, agent, model, Budget.Period.parse(period), Budget.zone(zone),
                    decimal("limit_usd", limit), thresholds == null ? null
                    : thresholds.stream().map(t -> decimal("thresholds", t)).toList(), !soft, BudgetJson.url(webhook));
            boolean created = new BudgetStore(pg.dataSource()).put(b);
            if (json) {
                out().println(Output.json(BudgetJson.of(b, null)));
            } else {
                out().println((created ? "created" : "replaced") + " budget '" + b.name() + "': " + describe(b));
            }
            return 0;
        } catch (InvalidBudgetException e) {
            return refused("set", e.getMessage());
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every budget's definition.")
    int list(@Option(names = "--json", description = "print them as JSON") boolean json) {
        try (LedgerOpener.Postgres pg = ledgers.postgres()) {
            List<Budget> all = new BudgetStore(pg.dataSource()).list();
            if (json) {
                out().println(Output.json(all.stream().map(b -> BudgetJson.of(b, null)).toList()));
                return 0;
            }
            if (all.isEmpty()) {
                out().println("no budgets");
                return 0;
            }
            Output.Table t = new Output.Table("name", "scope", "period", "limit", "thresholds", "kind", "webhook");
            for (Budget b : all) {
                t.row(b.name(), b.scope(), period(b), Output.money(b.limitUsd()), thresholds(b),
                        b.hard() ? "hard" : "soft", b.webhookUrl() == null ? "-" : b.webhookUrl().toString());
            }
            out().print(t);
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "One budget; with --spend, its current period's spend read from ClickHouse now (opens the"
                    + " ledger: with the embedded ClickHouse, not beside a running service; ask GET /v1/budgets/NAME).")
    int show(@Parameters(paramLabel = "NAME") String name,
             @Option(names = "--spend", description = "read the current period's spend") boolean spend,
             @Option(names = "--json", description = "print it as JSON") boolean json) {
        Optional<Budget> found;
        try (LedgerOpener.Postgres pg = ledgers.postgres()) {
            found = new BudgetStore(pg.dataSource()).find(name);
        }
        if (found.isEmpty()) {
            return refused("show", "no budget named '" + name + "'");
        }
        Budget b = found.get();
        Budgets.Status status = null;
        BurnDown burnDown = null;
        if (spend) {
            try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
                status = ledger.budgets().current(b);
                burnDown = ledger.budgets().burnDown(b, status.asOf());
            }
        }
        if (json) {
            out().println(Output.json(BudgetJson.of(b, status)));
            return 0;
        }
        out().println("budget " + b.name() + ": " + describe(b));
        if (status != null) {
            out().println("period " + status.periodStart() + " .. " + status.resetsAt() + " (resets then)");
            out().println("spent " + Output.money(status.spendUsd()) + " of " + Output.money(b.limitUsd()) + " ("
                    + Budgets.percent(status.ratio()) + "), " + Output.money(status.remainingUsd()) + " left; "
                    + status.unpricedEvents() + " unpriced call(s) not in the spend"
                    + (status.stops() ? "; OVER: calls should stop" : status.over() ? "; over (soft)" : ""));
            out().println("forecast at the reset, at this period's pace so far: " + Output.money(burnDown.forecastUsd())
                    + (burnDown.exhaustedAt() == null ? ""
                    : status.over() ? "; the limit was reached by " + burnDown.exhaustedAt()
                    : "; at this pace the limit is reached at " + burnDown.exhaustedAt()));
        }
        return 0;
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a budget (its fired alerts stay).")
    int delete(@Parameters(paramLabel = "NAME") String name) {
        try (LedgerOpener.Postgres pg = ledgers.postgres()) {
            if (!new BudgetStore(pg.dataSource()).delete(name)) {
                return refused("delete", "no budget named '" + name + "'");
            }
            out().println("deleted budget '" + name + "'");
            return 0;
        }
    }

    private static BigDecimal decimal(String field, String s) {
        try {
            return new BigDecimal(s.strip());
        } catch (NumberFormatException e) {
            throw new InvalidBudgetException(field, "must be a decimal such as 250.00 or 0.8, got '" + s + "'");
        }
    }

    private static String describe(Budget b) {
        return Output.money(b.limitUsd()) + " per " + period(b) + " for " + b.scope() + ", " + (b.hard() ? "hard" : "soft")
                + ", alerts at " + thresholds(b) + (b.webhookUrl() == null ? "" : " to " + b.webhookUrl());
    }

    private static String period(Budget b) {
        return b.period().label() + (b.zone().equals(Budget.UTC) ? ""
                : " (" + b.zone().getId() + ")");
    }

    private static String thresholds(Budget b) {
        return String.join(",", b.thresholds().stream().map(Budgets::percent).toList());
    }

    private int refused(String subcommand, String message) {
        spec.commandLine().getErr().println("tokenledger budget " + subcommand + ": " + message);
        return 1;
    }

    private PrintWriter out() {
        return spec.commandLine().getOut();
    }
}
