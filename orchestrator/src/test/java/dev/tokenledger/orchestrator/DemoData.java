package dev.tokenledger.orchestrator;

import dev.tokenledger.usage.UsageBacklog;
import java.time.Duration;
import java.time.Instant;

/** The demo's simulated traffic, for tests that need a realistic dataset in a running ledger. */
public final class DemoData {
    private DemoData() {
    }

    public static void record(Ledger ledger, int events) {
        DemoTraffic traffic = new DemoTraffic(42, Instant.now());
        for (int done = 0; done < events; done += 200) {
            ledger.recorder().record(traffic.next(Math.min(200, events - done)));
        }
    }

    /** Polls (with a deadline) until nothing accepted is still waiting to reach ClickHouse. */
    public static void awaitWritten(Ledger ledger, Duration timeout) throws InterruptedException {
        UsageBacklog backlog = ledger.backlog();
        try {
            org.awaitility.Awaitility.await().atMost(timeout).dontCatchUncaughtExceptions()
                    .pollInSameThread().pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(50)).until(() -> backlog.snapshot().pendingEvents() == 0);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("events still unwritten after " + timeout + ": " + backlog.snapshot(), e);
        }
    }
}
