package dev.tokenledger.usage.chaos;

import dev.tokenledger.usage.RecordFailedException;
import dev.tokenledger.usage.RecordResult;
import dev.tokenledger.usage.UsageEvent;
import dev.tokenledger.usage.UsageRecorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A steady stream of {@code record()} calls, as an orchestrator makes them, from a few threads. Keeps what
 * each call's caller was told: acknowledged ids (ACCEPTED, or DUPLICATE of an earlier success), and the
 * calls that failed with their events, which a real client retries later with the same ids.
 */
final class SteadyLoad implements AutoCloseable {
    private final UsageRecorder recorder;
    private final int eventsPerCall;
    private final Duration pause;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();

    final Set<UUID> acknowledged = ConcurrentHashMap.newKeySet();
    final List<List<UsageEvent>> failedCalls = Collections.synchronizedList(new ArrayList<>());
    final AtomicLong calls = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final AtomicLong longestCallNanos = new AtomicLong();
    final AtomicLong longestFailedCallNanos = new AtomicLong();
    volatile String firstError;
    volatile Throwable unexpected;

    private SteadyLoad(UsageRecorder recorder, int threadCount, int eventsPerCall, Duration pause) {
        this.recorder = recorder;
        this.eventsPerCall = eventsPerCall;
        this.pause = pause;
        for (int i = 0; i < threadCount; i++) {
            threads.add(Thread.ofPlatform().daemon(true).name("chaos-load-" + i).start(this::run));
        }
    }

    /** {@code threads} callers, each recording {@code eventsPerCall} events then pausing {@code pause}. */
    static SteadyLoad start(UsageRecorder recorder, int threads, int eventsPerCall, Duration pause) {
        return new SteadyLoad(recorder, threads, eventsPerCall, pause);
    }

    String describe() {
        double perSecond = threads.size() * eventsPerCall * 1000.0 / Math.max(1, pause.toMillis());
        return threads.size() + " caller(s) × " + eventsPerCall + " events every " + pause.toMillis()
                + " ms (≤ " + Math.round(perSecond) + " events/s)";
    }

    private void run() {
        while (running.get()) {
            List<UsageEvent> events = ChaosEvents.random(eventsPerCall);
            long started = System.nanoTime();
            try {
                List<RecordResult> results = recorder.record(events);
                for (RecordResult r : results) {
                    if (r.status() == RecordResult.Status.REJECTED) {
                        throw new AssertionError("a valid event was rejected: " + r);
                    }
                    acknowledged.add(r.eventId());
                }
            } catch (RecordFailedException e) {
                failures.incrementAndGet();
                longestFailedCallNanos.accumulateAndGet(System.nanoTime() - started, Math::max);
                if (firstError == null) {
                    firstError = e.getMessage();
                }
                failedCalls.add(events);
            } catch (RuntimeException | Error e) {
                unexpected = e;
                return;
            } finally {
                calls.incrementAndGet();
                longestCallNanos.accumulateAndGet(System.nanoTime() - started, Math::max);
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Stops the callers and waits for their last call. */
    void stop() {
        running.set(false);
        for (Thread t : threads) {
            try {
                t.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (unexpected != null) {
            throw new AssertionError("a record() call failed with something other than RecordFailedException",
                    unexpected);
        }
    }

    /**
     * Retries every failed call with the same events, as a client would once the fault is over; returns how
     * many of their events had been made durable by the call that "failed" (reported DUPLICATE now).
     */
    long retryFailed(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long alreadyDurable = 0;
        for (List<UsageEvent> call : List.copyOf(failedCalls)) {
            while (true) {
                try {
                    for (RecordResult r : recorder.record(call)) {
                        if (r.status() == RecordResult.Status.REJECTED) {
                            throw new AssertionError("a retried event was rejected: " + r);
                        }
                        if (r.status() == RecordResult.Status.DUPLICATE) {
                            alreadyDurable++;
                        }
                        acknowledged.add(r.eventId());
                    }
                    break;
                } catch (RecordFailedException e) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("retrying a failed call still fails after " + timeout, e);
                    }
                    Chaos.sleep(Duration.ofMillis(500));
                }
            }
        }
        failedCalls.clear();
        return alreadyDurable;
    }

    @Override
    public void close() {
        running.set(false);
    }
}
