package dev.tokenledger.orchestrator;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the service: HTTP API, JobRunr background server and dashboard, the recurring"
                + " pricing_refresh job, the watchdog. Stops cleanly on SIGTERM.")
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        LedgerConfig config = LedgerConfig.fromEnvironment();
        Ledger ledger = Ledger.open(config, Ledger.Mode.SERVICE);
        Service service;
        try {
            service = Service.start(ledger);
        } catch (RuntimeException e) {
            ledger.close();
            throw e;
        }
        service.printWhereThingsAre(spec.commandLine().getOut());
        service.awaitShutdown();
        return 0;
    }
}
