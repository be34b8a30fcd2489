package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.usage.UsageEvent;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Load for the end-to-end scenarios: {@code callers} threads, each recording {@code eventsPerCall} events
 * per call through {@code sink}, either as fast as the system takes them (closed loop) or at a fixed total
 * rate. A governor counts the rows in ClickHouse every 200 ms on its own connection and holds the callers
 * while more than {@code maxBacklog} recorded events are not there yet, so a throughput measurement is
 * the steady state of the whole pipeline, never a backlog that grows without bound.
 */
final class PipelineLoad implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineLoad.class);

    /** Records events the way the design under test records them. */
    interface Sink {
        void record(List<UsageEvent> events) throws Exception;
    }

    private final Sink sink;
    private final int eventsPerCall;
    private final ClickHouse counter;
    private final long baseRows;
    private final long maxBacklog;
    private final double ratePerSecond;
    private final LongAdder recorded = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final AtomicLong slots = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private final Thread governor;
    private volatile long rowsInClickHouse;
    private volatile boolean paused;
    private volatile boolean running = true;
    private volatile String lastError;
    private final long startedAt = System.nanoTime();

    /**
     * @param ratePerSecond total offered rate in events per second; 0 = as fast as possible
     * @param virtual       callers on virtual threads (many blocking callers) or platform threads
     */
    PipelineLoad(int callers, int eventsPerCall, Sink sink, ClickHouse counter, long maxBacklog, double ratePerSecond,
                 boolean virtual, long seed) {
        this.sink = sink;
        this.eventsPerCall = eventsPerCall;
        this.counter = counter;
        this.maxBacklog = maxBacklog;
        this.ratePerSecond = ratePerSecond;
        this.baseRows = countRows();
        this.rowsInClickHouse = baseRows;
        this.governor = Thread.ofPlatform().name("bench-governor").daemon(true).start(this::govern);
        for (int i = 0; i < callers; i++) {
            BenchTraffic traffic = new BenchTraffic(seed * 1_000 + i);
            Thread.Builder builder = virtual ? Thread.ofVirtual() : Thread.ofPlatform().daemon(true);
            threads.add(builder.name("bench-caller-" + i).start(() -> call(traffic)));
        }
    }

    private void call(BenchTraffic traffic) {
        while (running) {
            if (paused) {
                LockSupport.parkNanos(1_000_000);
                continue;
            }
            if (ratePerSecond > 0) {
                long slot = slots.getAndAdd(eventsPerCall);
                long due = startedAt + (long) (slot * 1e9 / ratePerSecond);
                long wait;
                while (running && (wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
            Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            List<UsageEvent> events = traffic.next(eventsPerCall, now);
            try {
                sink.record(events);
                recorded.add(events.size());
            } catch (Exception e) {
                failures.increment();
                lastError = e.toString();
                LockSupport.parkNanos(10_000_000);
            }
        }
    }

    private void govern() {
        while (running) {
            try {
                rowsInClickHouse = countRows();
                paused = recorded.sum() - (rowsInClickHouse - baseRows) > maxBacklog;
            } catch (RuntimeException e) {
                LOG.debug("governor cannot count rows", e);
            }
            LockSupport.parkNanos(200_000_000);
        }
    }

    private long countRows() {
        return counter.query("SELECT count() AS n FROM llm_usage").getFirst().int64("n");
    }

    /** Events recorded (accepted) so far. */
    long recorded() {
        return recorded.sum();
    }

    /** Rows this load added to ClickHouse, counted now. */
    long written() {
        return countRows() - baseRows;
    }

    /** The governor's last count of rows this load added (no query). */
    long writtenLately() {
        return rowsInClickHouse - baseRows;
    }

    long failures() {
        return failures.sum();
    }

    String lastError() {
        return lastError;
    }

    /** Stops the callers and waits for calls in flight to return. */
    void stop() {
        running = false;
        for (Thread t : threads) {
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Waits until every recorded event is in ClickHouse; returns false on timeout. */
    boolean awaitWritten(long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (System.nanoTime() < deadline) {
            if (written() >= recorded()) {
                return true;
            }
            LockSupport.parkNanos(20_000_000);
        }
        return written() >= recorded();
    }

    @Override
    public void close() {
        stop();
        governor.interrupt();
        try {
            governor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
