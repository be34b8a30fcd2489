package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.orchestrator.LedgerConfig;
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
    /** The second shape: fewer callers recording lists (an SDK flushing a buffer, the HTTP API's batch body). */
    static final int BATCH_CALLERS = 32;
    static final int BATCH_EVENTS = 100;

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
        Window.Rates batched = null;
        try (Ledger ledger = ctx.env().openLedger("throughput", Ledger.Mode.WORKER);
             ClickHouse counter = ctx.env().openClickHouse(ledger.clickHouse().database(), false)) {
            UsageRecorder recorder = ledger.recorder();
            rates = phase(ctx, result, recorder, counter, CALLERS, 1, warmup, window, "pipeline", "pipeline");
            if (!ctx.quick()) {
                batched = phase(ctx, result, recorder, counter, BATCH_CALLERS, BATCH_EVENTS, Duration.ofSeconds(10),
                        window, "pipeline, " + BATCH_EVENTS + " events per call", "pipeline_batched_calls");
            }
        }
        Window.Rates before = null;
        Window.Rates again = null;
        if (!ctx.quick()) {
            // The same load with both switches of the record path off (BENCHMARKS.md), then with the default again: the
            // first phase above ran on a cold JVM (its JIT took a third of the JVM's CPU), these two on a warm one.
            LedgerConfig base = ctx.env().base();
            before = switchesPhase(ctx, result, base.with(base.recorder().withNotifyEveryCommit(true),
                    base.writer().withNice(0)), "throughput_before", warmup, window, "pipeline, before the switches",
                    "pipeline_before_switches");
            again = switchesPhase(ctx, result, base, "throughput_again", warmup, window, "pipeline, default again (warm)",
                    "pipeline_default_warm");
        }
        result.add(Figure.of("events_per_s", "end-to-end events/s, 1 event per record() call", rates.writtenPerSecond(),
                        "events/s", Figure.Better.HIGHER)
                .target(Figure.Target.atLeast(TARGET_EVENTS_PER_SECOND))
                .baseline(naive.writtenPerSecond(), "one JobRunr job per event"));
        if (naive.writtenPerSecond() > 0) {
            result.add(Figure.of("ratio_vs_naive", "end-to-end vs one job per event", rates.writtenPerSecond()
                    / naive.writtenPerSecond(), "x", Figure.Better.HIGHER).target(Figure.Target.atLeast(TARGET_RATIO)));
        } else {
            result.note("the baseline wrote nothing in its window: no ratio");
        }
        Double cpu = cpuMicrosPerEvent(rates);
        Double naiveCpu = cpuMicrosPerEvent(naive);
        if (cpu != null) {
            Figure f = Figure.of("cpu_us_per_event", "CPU per event, 1 per call (JVM incl. chDB + PostgreSQL)", cpu, "us",
                    Figure.Better.LOWER);
            result.add(naiveCpu == null ? f : f.baseline(naiveCpu, "one JobRunr job per event"));
        }
        if (batched != null) {
            result.add(Figure.of("events_per_s_batched_calls", "end-to-end events/s, " + BATCH_EVENTS
                            + " events per record() call", batched.writtenPerSecond(), "events/s", Figure.Better.HIGHER)
                    .target(Figure.Target.atLeast(TARGET_EVENTS_PER_SECOND))
                    .baseline(naive.writtenPerSecond(), "one JobRunr job per event"));
            Double batchedCpu = cpuMicrosPerEvent(batched);
            if (batchedCpu != null) {
                result.add(Figure.of("cpu_us_per_event_batched_calls", "CPU per event, " + BATCH_EVENTS
                        + " events per call", batchedCpu, "us", Figure.Better.LOWER));
            }
        }
        result.add(Figure.of("recorded_per_s", "record() events/s while writing", rates.recordedPerSecond(),
                "events/s", Figure.Better.HIGHER));
        if (before != null) {
            result.add(Figure.of("events_per_s_vs_before_switches", "end-to-end events/s, 1 per call, warm, vs NOTIFY"
                            + " on every commit and chDB at the JVM's priority", again.writtenPerSecond(),
                    "events/s", Figure.Better.HIGHER).baseline(before.writtenPerSecond(), "both switches off (before),"
                    + " measured just before it on the same warm JVM"));
            Double beforeCpu = cpuMicrosPerEvent(before);
            Double againCpu = cpuMicrosPerEvent(again);
            if (againCpu != null && beforeCpu != null) {
                result.add(Figure.of("cpu_us_per_event_vs_before_switches", "CPU per event, 1 per call, warm, vs both"
                        + " switches off", againCpu, "us", Figure.Better.LOWER).baseline(beforeCpu, "both switches off"));
            }
        }
    }

    /**
     * One load shape against the running pipeline: warm-up, a measured window, then the backlog drained and
     * every recorded event checked to be in ClickHouse exactly once.
     */
    private static Window.Rates phase(BenchContext ctx, ScenarioResult result, UsageRecorder recorder,
                                      ClickHouse counter, int callers, int eventsPerCall, Duration warmup,
                                      Duration window, String label, String key) {
        BenchProgress progress = ctx.progress();
        long maxBacklog = 150_000;
        long rowsBefore = counter.query("SELECT count() AS n FROM llm_usage").getFirst().int64("n");
        Window.Rates rates;
        try (PipelineLoad load = new PipelineLoad(callers, eventsPerCall, recorder::record, counter, maxBacklog, 0,
                true, callers * 31L + eventsPerCall)) {
            rates = Window.measure(load, warmup, window, progress, label, ctx.env().cpuMeter());
            load.stop();
            progress.step(label + ": draining the backlog");
            long drainStart = System.nanoTime();
            boolean drained = load.awaitWritten(Duration.ofMinutes(5).toNanos());
            double drain = (System.nanoTime() - drainStart) / 1e9;
            long recorded = load.recorded();
            long written = load.written();
            long distinct = counter.query("SELECT uniqExact(event_id) AS n FROM llm_usage").getFirst().int64("n")
                    - rowsBefore;
            if (!drained || written != recorded || distinct != written) {
                throw new IllegalStateException("exactly-once check failed: " + recorded + " events recorded, "
                        + written + " rows (" + distinct + " distinct ids) in ClickHouse");
            }
            result.note(label + ": exactly once: " + recorded + " events recorded = " + written + " rows = "
                    + distinct + " distinct ids in llm_usage");
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("callers", callers);
            p.put("events_per_record_call", eventsPerCall);
            p.put("warmup_s", warmup.toSeconds());
            p.put("window_s", Latencies.round(rates.seconds()));
            p.put("events_per_s", Math.round(rates.writtenPerSecond()));
            p.put("recorded_per_s", Math.round(rates.recordedPerSecond()));
            p.put("events_recorded", recorded);
            p.put("rows_in_clickhouse", written);
            p.put("record_failures", load.failures());
            p.put("drain_after_stop_s", Latencies.round(drain));
            p.put("cpu", rates.cpuPerEvent());
            p.put("series", rates.series());
            result.detail(key, p);
        }
        return rates;
    }

    /** One event per call, 256 callers, on a fresh ledger of {@code config}. */
    private static Window.Rates switchesPhase(BenchContext ctx, ScenarioResult result, LedgerConfig config, String name,
                                              Duration warmup, Duration window, String label, String key) {
        try (Ledger ledger = Ledger.open(ctx.env().freshLedgerConfig(name).with(config.recorder(), config.writer()),
                Ledger.Mode.WORKER);
             ClickHouse counter = ctx.env().openClickHouse(ledger.clickHouse().database(), false)) {
            return phase(ctx, result, ledger.recorder(), counter, CALLERS, 1, warmup, window, label, key);
        }
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
                progress.step("baseline (one job per event): waiting for its first rows");
                long firstDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (load.written() == 0 && System.nanoTime() < firstDeadline) {
                    Window.sleep(50_000_000);
                }
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
