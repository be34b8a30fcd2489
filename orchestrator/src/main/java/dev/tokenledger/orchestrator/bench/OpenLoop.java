package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.usage.UsageEvent;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Open-loop load at a fixed rate: calls are issued on a schedule ({@code start + i / rate}) whatever the
 * previous calls are doing, so a slow call cannot hold back the ones after it (no coordinated omission).
 *
 * <ul>
 *   <li>{@link #blocking}: each call runs on its own virtual thread and its latency is measured from its
 *       <em>intended</em> start, so any lateness of the load generator counts against the system too.</li>
 *   <li>{@link #inline}: for calls that return in microseconds ({@code recordAsync}): the call runs on the
 *       pacing thread, its latency is measured around the call, and HdrHistogram's
 *       {@code recordValueWithExpectedInterval} adds the calls a slow one delayed. Waking a thread on time
 *       to the microsecond would need a spinning core, which a 2-core machine under test cannot spare.</li>
 * </ul>
 * A run gives up (and says so) when more than {@value #MAX_IN_FLIGHT} calls are outstanding: past that
 * point the offered rate is above what the system can take.
 */
final class OpenLoop {
    static final int MAX_IN_FLIGHT = 20_000;

    /** A blocking call to time. */
    interface BlockingCall {
        void call(UsageEvent event) throws Exception;
    }

    /** A call that returns at once; the returned future completes when the work is done (may be null). */
    interface InlineCall {
        java.util.concurrent.CompletableFuture<?> call(UsageEvent event);
    }

    /** What a run measured. */
    record Result(double offeredPerSecond, double issuedPerSecond, long calls, long failures, boolean saturated,
                  Latencies latency, Latencies completion, Latencies lag, String lastError) {
        Map<String, Object> toMap(String unit) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("offered_per_s", Math.round(offeredPerSecond));
            m.put("issued_per_s", Math.round(issuedPerSecond));
            m.put("calls_measured", calls);
            m.put("failures", failures);
            m.put("saturated", saturated);
            m.put("latency", latency.summary(unit));
            if (completion != null && completion.count() > 0) {
                m.put("until_durable_ms", completion.summary("ms"));
            }
            m.put("generator_lag_us", lag.summary("us"));
            if (lastError != null) {
                m.put("last_error", lastError);
            }
            return m;
        }
    }

    private OpenLoop() {
    }

    static Result blocking(double rate, Duration warmup, Duration measure, BlockingCall call, long seed) {
        return blocking(rate, warmup, measure, call, seed, false);
    }

    /**
     * As {@link #blocking(double, Duration, Duration, BlockingCall, long)}; with {@code shed}, a saturated run goes on
     * to its end, issuing no call while more than {@value #MAX_IN_FLIGHT} are outstanding (the issued rate then says
     * what the system took), instead of giving up.
     */
    static Result blocking(double rate, Duration warmup, Duration measure, BlockingCall call, long seed, boolean shed) {
        Latencies latency = new Latencies();
        Latencies lag = new Latencies();
        LongAdder failures = new LongAdder();
        AtomicInteger inFlight = new AtomicInteger();
        String[] lastError = {null};
        BenchTraffic traffic = new BenchTraffic(seed);
        long interval = (long) (1e9 / rate);
        long start = System.nanoTime() + 1_000_000;
        long measureFrom = start + warmup.toNanos();
        long end = measureFrom + measure.toNanos();
        long next = start;
        long issued = 0;
        boolean saturated = false;
        while (next < end) {
            long now = System.nanoTime();
            while (next <= now && next < end) {
                long intended = next;
                boolean measured = intended >= measureFrom;
                UsageEvent event = traffic.next(Instant.now().truncatedTo(ChronoUnit.MILLIS));
                if (measured) {
                    lag.record(System.nanoTime() - intended);
                    issued++;
                }
                inFlight.incrementAndGet();
                Thread.ofVirtual().start(() -> {
                    try {
                        call.call(event);
                        if (measured) {
                            latency.record(System.nanoTime() - intended);
                        }
                    } catch (Exception e) {
                        failures.increment();
                        lastError[0] = e.toString();
                    } finally {
                        inFlight.decrementAndGet();
                    }
                });
                next += interval;
            }
            if (inFlight.get() > MAX_IN_FLIGHT) {
                saturated = true;
                if (!shed) {
                    break;
                }
                while (inFlight.get() > MAX_IN_FLIGHT && System.nanoTime() < end) {
                    LockSupport.parkNanos(1_000_000);
                }
                next = Math.max(next, System.nanoTime()); // the calls not issued meanwhile are shed, not queued
            }
            long wait = next - System.nanoTime();
            if (wait > 0 && next < end) {
                LockSupport.parkNanos(wait);
            }
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
        double seconds = Math.max(1e-9, (Math.min(System.nanoTime(), end) - measureFrom) / 1e9);
        return new Result(rate, issued / seconds, latency.count(), failures.sum(), saturated, latency, null, lag,
                lastError[0]);
    }

    static Result inline(double rate, Duration warmup, Duration measure, InlineCall call, long seed) {
        Latencies latency = new Latencies();
        Latencies completion = new Latencies();
        Latencies lag = new Latencies();
        LongAdder failures = new LongAdder();
        AtomicInteger inFlight = new AtomicInteger();
        String[] lastError = {null};
        BenchTraffic traffic = new BenchTraffic(seed);
        long interval = (long) (1e9 / rate);
        long start = System.nanoTime() + 1_000_000;
        long measureFrom = start + warmup.toNanos();
        long end = measureFrom + measure.toNanos();
        long next = start;
        long issued = 0;
        boolean saturated = false;
        while (next < end) {
            long now = System.nanoTime();
            while (next <= now && next < end) {
                long intended = next;
                boolean measured = intended >= measureFrom;
                UsageEvent event = traffic.next(Instant.now().truncatedTo(ChronoUnit.MILLIS));
                long a = System.nanoTime();
                try {
                    inFlight.incrementAndGet();
                    java.util.concurrent.CompletableFuture<?> f = call.call(event);
                    long b = System.nanoTime();
                    if (measured) {
                        latency.recordPaced(b - a, interval);
                        lag.record(a - intended);
                        issued++;
                    }
                    if (f == null) {
                        inFlight.decrementAndGet();
                    } else {
                        f.whenComplete((r, t) -> {
                            inFlight.decrementAndGet();
                            if (t != null) {
                                failures.increment();
                                lastError[0] = t.toString();
                            } else if (measured) {
                                completion.record(System.nanoTime() - intended);
                            }
                        });
                    }
                } catch (RuntimeException e) {
                    inFlight.decrementAndGet();
                    failures.increment();
                    lastError[0] = e.toString();
                    if (measured) {
                        latency.recordPaced(System.nanoTime() - a, interval);
                    }
                }
                next += interval;
            }
            if (inFlight.get() > MAX_IN_FLIGHT * 10) {
                saturated = true;
                break;
            }
            long wait = next - System.nanoTime();
            if (wait > 0 && next < end) {
                LockSupport.parkNanos(wait);
            }
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
        double seconds = Math.max(1e-9, (Math.min(System.nanoTime(), end) - measureFrom) / 1e9);
        return new Result(rate, issued / seconds, latency.count(), failures.sum(), saturated, latency, completion, lag,
                lastError[0]);
    }

    /**
     * Closed loop at saturation: {@code callers} virtual threads each calling as soon as the previous call
     * returned, for {@code measure} after {@code warmup}. The rate is what the system sustains; latencies are
     * per call (a closed loop cannot offer more than it gets, so they are service times under full load).
     */
    static Result saturate(int callers, Duration warmup, Duration measure, BlockingCall call, long seed,
                           boolean virtual) {
        Latencies latency = new Latencies();
        Latencies lag = new Latencies();
        LongAdder failures = new LongAdder();
        LongAdder calls = new LongAdder();
        String[] lastError = {null};
        long start = System.nanoTime();
        long measureFrom = start + warmup.toNanos();
        long end = measureFrom + measure.toNanos();
        java.util.List<Thread> threads = new java.util.ArrayList<>();
        for (int i = 0; i < callers; i++) {
            BenchTraffic traffic = new BenchTraffic(seed * 7919 + i);
            Thread.Builder b = virtual ? Thread.ofVirtual() : Thread.ofPlatform().daemon(true);
            threads.add(b.start(() -> {
                while (true) {
                    UsageEvent event = traffic.next(Instant.now().truncatedTo(ChronoUnit.MILLIS));
                    long a = System.nanoTime();
                    if (a >= end) {
                        return;
                    }
                    try {
                        call.call(event);
                        long z = System.nanoTime();
                        if (a >= measureFrom && z <= end) {
                            latency.record(z - a);
                            calls.increment();
                        }
                    } catch (Exception e) {
                        failures.increment();
                        lastError[0] = e.toString();
                    }
                }
            }));
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        double seconds = measure.toNanos() / 1e9;
        return new Result(0, calls.sum() / seconds, calls.sum(), failures.sum(), true, latency, null, lag,
                lastError[0]);
    }
}
