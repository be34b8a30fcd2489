package dev.tokenledger.orchestrator;

import dev.tokenledger.orchestrator.http.HttpApi;
import java.io.PrintWriter;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The parts of the running service that face the network (the HTTP API; JobRunr's dashboard is started
 * by the {@link Ledger}), and waiting for SIGTERM/Ctrl-C. Closing it stops the API first, so no request
 * is accepted while the ledger shuts down behind it.
 */
final class Service implements AutoCloseable {
    private final Ledger ledger;
    private final HttpApi http;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean closed = new AtomicBoolean();

    private Service(Ledger ledger, HttpApi http) {
        this.ledger = ledger;
        this.http = http;
    }

    static Service start(Ledger ledger) {
        return new Service(ledger, HttpApi.start(ledger));
    }

    void printWhereThingsAre(PrintWriter out) {
        String api = http.url().toString();
        boolean keyed = !ledger.config().http().apiKeys().isEmpty();
        out.println("HTTP API: " + api + "/v1/usage, " + api + "/v1/reports/model (OpenAPI: " + api + "/openapi.json"
                + (keyed ? "; send 'Authorization: Bearer <key>'" : "; no API key needed, local-only") + ")");
        out.println("Usage page (cost charts): " + api + "/ui" + (keyed ? " (password: an API key)" : ""));
        out.println("Prometheus metrics: " + api + "/metrics, readiness: " + api + "/readyz");
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
