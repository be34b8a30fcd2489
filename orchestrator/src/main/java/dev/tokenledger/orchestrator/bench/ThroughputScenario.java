package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.usage.UsageRecorder;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sustained end-to-end events/s, from {@code record()} to rows in ClickHouse, after a warm-up, with the
 * backlog held bounded (see {@link PipelineLoad}); against the naive design, one JobRunr job per event, in
 * the same run. Every event recorded must be in ClickHouse exactly once at the end.
 */
final class ThroughputScenario implements Scenario {
    static final double TARGET_EVENTS_PER_SECOND = 50_000;
    static final double TARGET_RATIO = 20;
    /** Concurrent record() callers, one event each: an orchestrator's many LLM calls finishing at once. */
    static final int CALLERS = 256;

    @Override
    public String name() {
        return "throughput";
    }

    @Override
    public String description() {
        return "sustained events/s from record() to rows in ClickHouse, vs one JobRunr job per event";
    }

    @Override
    public void run(BenchContext ctx, ScenarioResult result) {
        BenchProgress progress = ctx.progress();
        Duration warmup = ctx.duration(Duration.ofSeconds(2), Duration.ofSeconds(20));
        Duration window = ctx.duration(Duration.ofSeconds(3), Duration.ofSeconds(30));

        Window.Rates naive = naive(ctx, result);

        progress.step("pipeline: starting");
        Window.Rates rates;
        try (Ledger ledger = ctx.env().openLedger("throughput", Ledger.Mode.WORKER);
             ClickHouse counter = ctx.env().openClickHouse(ledger.clickHouse().database(), false)) {
            UsageRecorder recorder = ledger.recorder();
            long maxBacklog = 150_000;
            try (PipelineLoad load = new PipelineLoad(CALLERS, 1, recorder::record, counter, maxBacklog, 0, true, 1)) {
                rates = Window.measure(load, warmup, window, progress, "pipeline", ctx.env().cpuMeter());
                load.stop();
                progress.step("pipeline: draining the backlog");
                long drainStart = System.nanoTime();
                boolean drained = load.awaitWritten(Duration.ofMinutes(5).toNanos());
                result.detail("drain_after_stop_s", Latencies.round((System.nanoTime() - drainStart) / 1e9));
                long recorded = load.recorded();
                long written = load.written();
                long distinct = counter.query("SELECT uniqExact(event_id) AS n FROM llm_usage").getFirst().int64("n");
                result.detail("events_recorded", recorded);
                result.detail("rows_in_clickhouse", written);
                result.detail("distinct_event_ids_in_clickhouse", distinct);
                result.detail("record_failures", load.failures());
                if (!drained || written != recorded || distinct != written) {
                    throw new IllegalStateException("exactly-once check failed: " + recorded + " events recorded, "
                            + written + " rows (" + distinct + " distinct ids) in ClickHouse");
                }
                result.note("exactly once: " + recorded + " events recorded = " + written + " rows = " + distinct
                        + " distinct ids in llm_usage");
            }
        }
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("callers", CALLERS);
        p.put("events_per_record_call", 1);
        p.put("warmup_s", warmup.toSeconds());
        p.put("window_s", Latencies.round(rates.seconds()));
        p.put("events_per_s", Math.round(rates.writtenPerSecond()));
        p.put("recorded_per_s", Math.round(rates.recordedPerSecond()));
        p.put("cpu", rates.cpuPerEvent());
        p.put("series", rates.series());
        result.detail("pipeline", p);

        result.add(Figure.of("events_per_s", "end-to-end events/s (record → ClickHouse)", rates.writtenPerSecond(),
                        "events/s", Figure.Better.HIGHER)
                .target(Figure.Target.atLeast(TARGET_EVENTS_PER_SECOND))
                .baseline(naive.writtenPerSecond(), "one JobRunr job per event"));
        result.add(Figure.of("ratio_vs_naive", "end-to-end vs one job per event", rates.writtenPerSecond()
                        / Math.max(1e-9, naive.writtenPerSecond()), "x", Figure.Better.HIGHER)
                .target(Figure.Target.atLeast(TARGET_RATIO)));
        Double cpu = cpuMicrosPerEvent(rates);
        Double naiveCpu = cpuMicrosPerEvent(naive);
        if (cpu != null) {
            Figure f = Figure.of("cpu_us_per_event", "CPU per event (JVM incl. chDB + PostgreSQL)", cpu, "us",
                    Figure.Better.LOWER);
            result.add(naiveCpu == null ? f : f.baseline(naiveCpu, "one JobRunr job per event"));
        }
        result.add(Figure.of("recorded_per_s", "record() events/s while writing", rates.recordedPerSecond(),
                "events/s", Figure.Better.HIGHER));
    }

    /** JVM + PostgreSQL CPU per event written, or null when PostgreSQL's CPU is not visible (a server). */
    static Double cpuMicrosPerEvent(Window.Rates rates) {
        if (rates.cpu().postgresCpuNanos() < 0 || rates.written() == 0) {
            return null;
        }
        return (rates.cpu().javaCpuNanos() + rates.cpu().postgresCpuNanos()) / 1e3 / rates.written();
    }

    private static Window.Rates naive(BenchContext ctx, ScenarioResult result) {
        BenchProgress progress = ctx.progress();
        progress.step("baseline (one JobRunr job per event): starting");
        Duration warmup = ctx.duration(Duration.ofSeconds(1), Duration.ofSeconds(5));
        Duration window = ctx.duration(Duration.ofSeconds(2), Duration.ofSeconds(20));
        try (NaiveDesign naive = new NaiveDesign(ctx.env(), "throughput_naive");
             ClickHouse counter = ctx.env().openClickHouse(naive.ledger().clickHouse().database(), false)) {
            naive.start();
            PipelineLoad.Sink sink = events -> {
                naive.enqueue(events);
                naive.wake();
            };
            try (PipelineLoad load = new PipelineLoad(2, 500, sink, counter, 10_000, 0, false, 2)) {
                Window.Rates rates = Window.measure(load, warmup, window, progress, "baseline (one job per event)",
                        ctx.env().cpuMeter());
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("design", "one JobRunr job per event (NaiveUsageJob), bulk enqueue, " + NaiveDesign.WORKERS
                        + " workers");
                b.put("window_s", Latencies.round(rates.seconds()));
                b.put("events_per_s", Math.round(rates.writtenPerSecond()));
                b.put("enqueued_per_s", Math.round(rates.recordedPerSecond()));
                b.put("cpu", rates.cpuPerEvent());
                b.put("series", rates.series());
                result.detail("baseline", b);
                return rates;
            }
        }
    }
}
