package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.usage.UsageBacklog;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The writer was down while events kept coming: {@value #FULL_EVENTS} events (quick: {@value #QUICK_EVENTS})
 * are recorded with no writer running, then the writer starts. Drain rate and time to empty, against the
 * naive design draining a backlog of its own jobs.
 */
final class CatchUpScenario implements Scenario {
    static final int FULL_EVENTS = 1_000_000;
    static final int QUICK_EVENTS = 100_000;
    static final double TARGET_EVENTS_PER_SECOND = 50_000;

    @Override
    public String name() {
        return "catch-up";
    }

    @Override
    public String description() {
        return "drain rate and time to empty after " + FULL_EVENTS + " events recorded with the writer stopped";
    }

    @Override
    public void run(BenchContext ctx, ScenarioResult result) throws InterruptedException {
        BenchProgress progress = ctx.progress();
        int events = ctx.count(QUICK_EVENTS, FULL_EVENTS);
        double naiveRate = naive(ctx, result);

        progress.step("starting a ledger without its writer");
        try (Ledger ledger = ctx.env().openLedger("catchup", Ledger.Mode.CLIENT);
             ClickHouse counter = ctx.env().openClickHouse(ledger.clickHouse().database(), false)) {
            CpuMeter meter = ctx.env().cpuMeter();
            AtomicLong recorded = new AtomicLong();
            progress.step("recording " + events + " events, writer stopped",
                    () -> String.format(java.util.Locale.US, "%,d recorded", recorded.get()));
            CpuMeter.Sample cpu0 = meter.sample();
            int callers = 16;
            int perCall = 250;
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                BenchTraffic traffic = new BenchTraffic(31L * i + 7);
                threads.add(Thread.ofVirtual().start(() -> {
                    while (true) {
                        long before = recorded.getAndAdd(perCall);
                        if (before >= events) {
                            return;
                        }
                        int n = (int) Math.min(perCall, events - before);
                        ledger.recorder().record(traffic.next(n, Instant.now().truncatedTo(ChronoUnit.MILLIS)));
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            CpuMeter.Sample recordCpu = meter.sample().minus(cpu0);
            double recordSeconds = recordCpu.nanoTime() / 1e9;
            UsageBacklog backlog = ledger.backlog();
            long pending = backlog.snapshot().pendingEvents();
            if (pending != events) {
                throw new IllegalStateException("expected " + events + " events waiting, the backlog says " + pending);
            }

            progress.step("writer started, draining", () -> String.format(java.util.Locale.US, "%,d of %,d in ClickHouse",
                    count(counter), events));
            Map<String, Long> threads0 = CpuMeter.threadTicks();
            CpuMeter.Sample drain0 = meter.sample();
            long t0 = System.nanoTime();
            ledger.startWorker();
            long deadline = t0 + Duration.ofMinutes(30).toNanos();
            List<Map<String, Object>> series = new ArrayList<>();
            long lastSample = t0;
            long written;
            while ((written = count(counter)) < events) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the backlog did not drain in 30 minutes: " + written + " of "
                            + events);
                }
                Thread.sleep(50);
                if (System.nanoTime() - lastSample >= 1_000_000_000L) {
                    lastSample = System.nanoTime();
                    series.add(Map.of("t_s", Latencies.round((lastSample - t0) / 1e9), "in_clickhouse", written));
                }
            }
            double drainSeconds = (System.nanoTime() - t0) / 1e9;
            CpuMeter.Sample drainCpu = meter.sample().minus(drain0);
            Map<String, Object> shares = CpuMeter.threadShares(threads0, CpuMeter.threadTicks());
            if (written != events) {
                throw new IllegalStateException("exactly-once check failed: " + events + " recorded, " + written
                        + " rows in ClickHouse");
            }
            double drainRate = events / drainSeconds;

            Map<String, Object> d = new LinkedHashMap<>();
            d.put("events", events);
            d.put("record_seconds", Latencies.round(recordSeconds));
            d.put("record_events_per_s", Math.round(events / recordSeconds));
            d.put("record_cpu", cpu(recordCpu, events, null));
            d.put("drain_seconds", Latencies.round(drainSeconds));
            d.put("drain_events_per_s", Math.round(drainRate));
            d.put("drain_cpu", cpu(drainCpu, events, shares));
            d.put("drain_series", series);
            d.put("batches", ledger.postgres().dataSource() == null ? null : batches(ledger));
            result.detail("pipeline", d);
            result.note("exactly once: " + events + " events recorded = " + written + " rows in llm_usage after the drain");

            result.add(Figure.of("drain_events_per_s", "drain rate after " + (events / 1000) + "k events backlog",
                            drainRate, "events/s", Figure.Better.HIGHER)
                    .target(Figure.Target.atLeast(TARGET_EVENTS_PER_SECOND))
                    .baseline(naiveRate, "one JobRunr job per event, draining its queue"));
            result.add(Figure.of("time_to_empty_s", "time to empty", drainSeconds, "s", Figure.Better.LOWER)
                    .baseline(events / Math.max(naiveRate, 1e-9), "one JobRunr job per event (extrapolated from its rate)"));
            result.add(Figure.of("record_events_per_s", "record() events/s, writer stopped", events / recordSeconds,
                    "events/s", Figure.Better.HIGHER));
        }
    }

    private static long batches(Ledger ledger) {
        try (var c = ledger.postgres().dataSource().getConnection();
             var rs = c.createStatement().executeQuery("SELECT count(*) FROM usage_batch")) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            return -1;
        }
    }

    static Map<String, Object> cpu(CpuMeter.Sample s, long events, Map<String, Object> shares) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jvm_us_per_event", Latencies.round(s.javaCpuNanos() / 1e3 / events));
        m.put("postgres_us_per_event", s.postgresCpuNanos() < 0 ? null : Latencies.round(s.postgresCpuNanos() / 1e3 / events));
        m.put("jvm_cores_busy", Latencies.round(s.javaCpuNanos() / (double) s.nanoTime()));
        m.put("postgres_cores_busy", s.postgresCpuNanos() < 0 ? null
                : Latencies.round(s.postgresCpuNanos() / (double) s.nanoTime()));
        if (shares != null) {
            m.put("jvm_threads_percent", shares);
        }
        return m;
    }

    private static long count(ClickHouse ch) {
        return ch.query("SELECT count() AS n FROM llm_usage").getFirst().int64("n");
    }

    /** The naive design draining a queue of its own jobs (enqueued with its workers stopped). */
    private static double naive(BenchContext ctx, ScenarioResult result) throws InterruptedException {
        BenchProgress progress = ctx.progress();
        int jobs = ctx.count(50, 1_000);
        progress.step("baseline (one JobRunr job per event): enqueuing " + jobs + " jobs");
        try (NaiveDesign naive = new NaiveDesign(ctx.env(), "catchup_naive")) {
            BenchTraffic traffic = new BenchTraffic(99);
            for (int done = 0; done < jobs; done += 1000) {
                naive.enqueue(traffic.next(Math.min(1000, jobs - done), Instant.now().truncatedTo(ChronoUnit.MILLIS)));
            }
            progress.step("baseline (one JobRunr job per event): draining " + jobs + " jobs",
                    () -> String.format(java.util.Locale.US, "%,d of %,d in ClickHouse", naive.rowsInClickHouse(), jobs));
            long t0 = System.nanoTime();
            naive.start();
            naive.wake();
            long deadline = t0 + Duration.ofMinutes(10).toNanos();
            while (naive.rowsInClickHouse() < jobs && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            long drained = naive.rowsInClickHouse();
            double seconds = (System.nanoTime() - t0) / 1e9;
            double rate = drained / seconds;
            result.detail("baseline", Map.of("design", "one JobRunr job per event", "jobs", jobs, "drained", drained,
                    "seconds", Latencies.round(seconds), "events_per_s", Latencies.round(rate)));
            return rate;
        }
    }
}
