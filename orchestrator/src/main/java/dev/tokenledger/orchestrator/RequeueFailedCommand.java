package dev.tokenledger.orchestrator;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "requeue-failed", mixinStandardHelpOptions = true,
        description = "Put every FAILED usage_write job back in JobRunr's queue (their events are still in PostgreSQL).")
final class RequeueFailedCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (Ledger ledger = Ledger.open(LedgerConfig.fromEnvironment(), Ledger.Mode.CLIENT)) {
            int n = ledger.failedWrites().requeueAll();
            spec.commandLine().getOut().println("requeued " + n + " FAILED usage_write job(s)");
            return 0;
        }
    }
}
