package dev.tokenledger.orchestrator;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the service: HTTP API, JobRunr background server and dashboard, the recurring"
                + " pricing_refresh job, the watchdog. Stops cleanly on SIGTERM. With --role api, only the HTTP API"
                + " and recording: `worker` processes on the same databases write (docs/deployment.md).")
final class ServeCommand implements Callable<Integer> {
    private final LedgerOpener ledgers;

    @Spec
    CommandSpec spec;

    @Option(names = "--role", paramLabel = "ROLE", defaultValue = "all",
            description = "all (default): everything in this process. api: the HTTP API and recording only (no"
                    + " JobRunr server, writer or recurring jobs; needs TOKENLEDGER_CLICKHOUSE_URL), for several"
                    + " processes on one PostgreSQL and one ClickHouse server.")
    String role;

    ServeCommand(LedgerOpener ledgers) {
        this.ledgers = ledgers;
    }

    @Override
    public Integer call() throws InterruptedException {
        Service.Role r = switch (role) {
            case "all" -> Service.Role.ALL;
            case "api" -> Service.Role.API;
            default -> throw new ParameterException(spec.commandLine(), "--role must be all or api, got '" + role
                    + "' (the writing half is its own command: ./tokenledger worker)");
        };
        return Service.run(ledgers, r, r == Service.Role.API ? "serve --role api" : "serve",
                spec.commandLine().getOut());
    }
}
