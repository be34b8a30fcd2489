package dev.tokenledger.orchestrator;

import java.io.PrintWriter;
import java.util.concurrent.CountDownLatch;

/** The parts of the running service that face the network, and waiting for SIGTERM/Ctrl-C. */
final class Service {
    private final Ledger ledger;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private Service(Ledger ledger) {
        this.ledger = ledger;
    }

    static Service start(Ledger ledger) {
        return new Service(ledger);
    }

    void printWhereThingsAre(PrintWriter out) {
        out.println("JobRunr dashboard (usage_write and pricing_refresh jobs): http://localhost:"
                + ledger.config().dashboard().port() + "/dashboard");
        out.flush();
    }

    /**
     * Blocks until SIGTERM or Ctrl-C, then closes the ledger in order (stop accepting, commit what was
     * accepted, stop jobs, close the databases) before the JVM's own shutdown hooks run: catching the
     * signal, rather than racing the embedded databases' hooks, is what makes the order hold.
     */
    void awaitShutdown() throws InterruptedException {
        for (String name : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stopped.countDown());
        }
        stopped.await();
        ledger.close();
    }
}
