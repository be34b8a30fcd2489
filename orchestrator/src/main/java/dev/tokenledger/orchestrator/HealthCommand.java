package dev.tokenledger.orchestrator;

import java.time.InstantSource;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "health", mixinStandardHelpOptions = true,
        description = "Check PostgreSQL, ClickHouse, FAILED usage_write jobs, unresolved dead letters, the backlog and the"
                + " price book. Exits 0 when UP.")
final class HealthCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "print the checks as JSON")
    boolean json;

    @Override
    public Integer call() {
        try (Ledger ledger = Ledger.open(LedgerConfig.fromEnvironment(), Ledger.Mode.CLIENT)) {
            HealthChecks.Health health = new HealthChecks(ledger, InstantSource.system()).check();
            var out = spec.commandLine().getOut();
            if (json) {
                out.println(Output.json(health));
            } else {
                Output.Table t = new Output.Table("check", "status", "detail");
                health.checks().forEach(c -> t.row(c.name(), c.status().name(), c.detail()));
                out.print(t);
                out.println("overall: " + health.status());
            }
            return health.status() == HealthChecks.Status.UP ? 0 : 1;
        }
    }
}
