package dev.tokenledger.orchestrator;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Bring PostgreSQL (tokenledger's and JobRunr's tables) and ClickHouse up to the current schema, then print what is where.")
final class MigrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (Ledger ledger = Ledger.open(LedgerConfig.fromEnvironment(), Ledger.Mode.CLIENT)) {
            var out = spec.commandLine().getOut();
            out.println("PostgreSQL " + ledger.postgres().serverVersion() + ": " + ledger.postgres().description());
            out.println("ClickHouse " + ledger.clickHouse().version() + " (" + ledger.clickHouse().backend().name()
                    .toLowerCase() + "), database " + ledger.clickHouse().database());
            out.println("price book: " + ledger.pricing().modelCount() + " models");
            out.println("schema is current");
            return 0;
        }
    }
}
