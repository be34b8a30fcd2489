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

    /** Blocks until the JVM is asked to stop; the shutdown hook then closes the ledger in order. */
    void awaitShutdown() throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            ledger.close();
            stopped.countDown();
        }, "tokenledger-shutdown"));
        stopped.await();
    }
}
