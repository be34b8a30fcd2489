package dev.tokenledger.orchestrator;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "worker", mixinStandardHelpOptions = true,
        description = "Run a worker: the JobRunr background server, the usage writer and sealer, the recurring jobs;"
                + " no HTTP API, only /healthz, /readyz and /metrics on TOKENLEDGER_WORKER_PORT. Any number may run"
                + " beside `serve --role api` processes on one PostgreSQL and one ClickHouse server"
                + " (TOKENLEDGER_CLICKHOUSE_URL, required). Stops cleanly on SIGTERM.")
final class WorkerCommand implements Callable<Integer> {
    private final LedgerOpener ledgers;

    @Spec
    CommandSpec spec;

    WorkerCommand(LedgerOpener ledgers) {
        this.ledgers = ledgers;
    }

    @Override
    public Integer call() throws InterruptedException {
        return Service.run(ledgers, Service.Role.WORKER, "worker", spec.commandLine().getOut());
    }
}
