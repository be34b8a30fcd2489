package dev.tokenledger.orchestrator;

import picocli.CommandLine.Command;

/** {@code tokenledger}: the root command; each subcommand has its own {@code --help}. */
@Command(name = "tokenledger", mixinStandardHelpOptions = true, version = "tokenledger 0.1.0",
        description = "A durable, exactly-once, exactly-priced ledger of LLM usage.",
        subcommands = {DemoCommand.class, ServeCommand.class, WorkerCommand.class, ReportCommand.class, PricingCommand.class,
                ReconcileCommand.class, RepriceCommand.class, EraseCommand.class, ExplainCostCommand.class,
                DeadLettersCommand.class, InstallationCommand.class, RequeueFailedCommand.class, KeysCommand.class,
                BudgetCommand.class,
                MigrateCommand.class, HealthCommand.class,
                dev.tokenledger.orchestrator.bench.BenchCommand.class})
final class TokenledgerCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
