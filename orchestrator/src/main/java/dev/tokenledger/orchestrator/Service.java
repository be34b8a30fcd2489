package dev.tokenledger.orchestrator;

import dev.tokenledger.orchestrator.http.HttpApi;
import java.io.PrintWriter;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The parts of the running service that face the network (the HTTP API, or a worker's health and metrics port;
 * JobRunr's dashboard is started by the {@link Ledger}), and waiting for SIGTERM/Ctrl-C. Closing it stops the API
 * first, so no request is accepted while the ledger shuts down behind it.
 */
final class Service implements AutoCloseable {
    /** Which part of the service a process runs; several processes may share the databases (docs/deployment.md). */
    enum Role {
        /** {@code serve}: everything in one process. */
        ALL(Ledger.Mode.SERVICE),
        /** {@code serve --role api}: the HTTP API and recording; workers write. */
        API(Ledger.Mode.API),
        /** {@code worker}: JobRunr's server, the writer and sealer, the recurring jobs; health and metrics only. */
        WORKER(Ledger.Mode.WORKER_PROCESS);

        final Ledger.Mode mode;

        Role(Ledger.Mode mode) {
            this.mode = mode;
        }
    }

    private final Ledger ledger;
    private final Role role;
    private final HttpApi http;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean closed = new AtomicBoolean();

    private Service(Ledger ledger, Role role, HttpApi http) {
        this.ledger = ledger;
        this.role = role;
        this.http = http;
    }

    static Service start(Ledger ledger) {
        return start(ledger, Role.ALL);
    }

    /** Starts what faces the network for {@code role} on a ledger opened in {@code role.mode}. */
    static Service start(Ledger ledger, Role role) {
        return new Service(ledger, role, role == Role.WORKER ? HttpApi.startOperations(ledger) : HttpApi.start(ledger));
    }

    /**
     * A long-running command ({@code serve}, {@code worker}): checks the configuration for {@code role}, opens the
     * ledger and what faces the network, says where things are, and runs until SIGTERM or Ctrl-C.
     */
    static int run(LedgerOpener ledgers, Role role, String command, PrintWriter out) throws InterruptedException {
        if (role != Role.ALL) {
            ledgers.config().requireClickHouseServer(command);
        }
        Ledger ledger = ledgers.open(role.mode);
        Service service;
        try {
            service = start(ledger, role);
        } catch (RuntimeException e) {
            ledger.close();
            throw e;
        }
        service.printWhereThingsAre(out);
        service.awaitShutdown();
        return 0;
    }

    void printWhereThingsAre(PrintWriter out) {
        String api = http.url().toString();
        if (role == Role.WORKER) {
            out.println("Worker: writes usage to ClickHouse, runs the recurring jobs. Health: " + api + "/healthz, "
                    + api + "/readyz; Prometheus metrics: " + api + "/metrics");
            out.flush();
            return;
        }
        boolean keyed = !ledger.config().http().apiKeys().isEmpty();
        out.println("HTTP API: " + api + "/v1/usage, " + api + "/v1/reports/model (OpenAPI: " + api + "/openapi.json"
                + (keyed ? "; send 'Authorization: Bearer <key>'" : "; no API key needed, local-only") + ")");
        out.println("Usage page (cost charts): " + api + "/ui" + (keyed ? " (password: an API key)" : ""));
        out.println("Prometheus metrics: " + api + "/metrics, readiness: " + api + "/readyz");
        if (role == Role.API) {
            out.println("API role: recorded events are written by `./tokenledger worker` processes on the same databases");
            out.flush();
            return;
        }
        out.println("JobRunr dashboard (usage_write and pricing_refresh jobs): http://localhost:"
                + ledger.config().dashboard().port() + "/dashboard");
        out.flush();
    }

    /**
     * Blocks until SIGTERM or Ctrl-C, then stops the API and closes the ledger in order (stop accepting,
     * commit what was accepted, stop jobs, close the databases) before the JVM's own shutdown hooks run:
     * catching the signal, rather than racing the embedded databases' hooks, is what makes the order hold.
     */
    void awaitShutdown() throws InterruptedException {
        for (String name : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stopped.countDown());
        }
        stopped.await();
        close();
        ledger.close();
    }

    /** Stops the HTTP API (once); the ledger is closed by whoever opened it. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            http.close();
        }
    }
}
