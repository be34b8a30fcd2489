package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.orchestrator.LedgerConfig;
import dev.tokenledger.usage.RecorderSettings;
import dev.tokenledger.usage.RecordResult;
import dev.tokenledger.usage.UsageEvent;
import dev.tokenledger.usage.UsageRecorder;
import dev.tokenledger.usage.WriterSettings;
import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import com.zaxxer.hikari.HikariDataSource;

/**
 * Latency of the record API with the whole service running (writer included): {@code record()} (durable on
 * return) and {@code recordAsync()} (returns at once), one event per call, open loop at
 * {@value #LOW} and {@value #HIGH} events/s, then closed loop at saturation. Baseline: the same event
 * recorded without group commit, one INSERT and one commit (one fsync) per call, at the same loads. Then
 * {@code record()} at {@value #LOW} events/s on ledgers of their own, with and without each of the two switches of
 * the record path (no NOTIFY on a commit only this process's writer needs; chDB's threads at a lower OS
 * priority), against both off: the behaviour before them.
 */
final class RecordLatencyScenario implements Scenario {
    static final int LOW = 5_000;
    static final int HIGH = 20_000;
    static final double TARGET_DURABLE_P99_MS = 5;
    static final double TARGET_DURABLE_P999_MS = 20;
    static final double TARGET_ASYNC_P99_US = 50;
    static final int SATURATION_CALLERS = 256;

    @Override
    public String name() {
        return "record-latency";
    }

    @Override
    public String description() {
        return "p50/p99/p99.9 of record() and recordAsync() at 5k and 20k events/s (open loop) and at saturation";
    }

    @Override
    public void run(BenchContext ctx, ScenarioResult result) throws java.io.IOException {
        BenchProgress progress = ctx.progress();
        Duration warmup = ctx.duration(Duration.ofMillis(300), Duration.ofSeconds(3));
        Duration measure = ctx.duration(Duration.ofMillis(700), Duration.ofSeconds(15));
        progress.step("starting the service");
        try (Ledger ledger = ctx.env().openLedger("latency", Ledger.Mode.WORKER);
             // The baseline's own pool, so its waits for connections never starve the service's.
             HikariDataSource ds = ctx.env().pool(ctx.env().databaseName("latency"), 32, Duration.ofSeconds(1))) {
            UsageRecorder recorder = ledger.recorder();
            OpenLoop.BlockingCall durable = e -> accepted(recorder.record(List.of(e)));
            OpenLoop.InlineCall async = e -> recorder.recordAsync(List.of(e));
            OpenLoop.BlockingCall noGroupCommit = e -> {
                try (Connection c = ds.getConnection()) { // autocommit: one INSERT, one commit, one fsync
                    accepted(recorder.record(c, List.of(e)));
                }
            };
            Map<String, Object> details = new LinkedHashMap<>();
            long seed = 1;
            // A fresh JVM compiles the record path during its first seconds: measured cold, the first run's p99
            // was 40x its steady state (219 ms vs 5-13 ms in three back-to-back 15 s rounds). Steady state is
            // what a long-running service sees, so both paths run unmeasured first.
            progress.step("warming up the record path (JIT)");
            Duration jitWarmup = ctx.duration(Duration.ofMillis(500), Duration.ofSeconds(15));
            OpenLoop.blocking(LOW, Duration.ZERO, jitWarmup, durable, 1_000);
            OpenLoop.inline(LOW, Duration.ZERO, jitWarmup, async, 1_001);
            for (int rate : new int[] {LOW, HIGH}) {
                String load = rate / 1000 + "k/s";
                progress.step("record() at " + load);
                OpenLoop.Result d = OpenLoop.blocking(rate, warmup, measure, durable, seed++);
                OpenLoop.Result b = null;
                if (!ctx.quick() || rate == LOW) {
                    progress.step("baseline (a commit per call) at " + load);
                    b = OpenLoop.blocking(rate, warmup, measure, noGroupCommit, seed++);
                }
                progress.step("recordAsync() at " + load);
                OpenLoop.Result a = OpenLoop.inline(rate, warmup, measure, async, seed++);
                details.put("record_" + load, d.toMap("ms"));
                if (b != null) {
                    details.put("baseline_commit_per_call_" + load, b.toMap("ms"));
                }
                details.put("record_async_" + load, a.toMap("us"));

                String key = rate / 1000 + "k";
                Figure durableP99 = Figure.of("record_p99_ms_" + key, "record() p99 at " + load + label(d, "ms"),
                                d.latency().percentileMillis(99), "ms", Figure.Better.LOWER)
                        .target(Figure.Target.below(TARGET_DURABLE_P99_MS));
                result.add(b == null ? durableP99 : durableP99.baseline(b.latency().percentileMillis(99),
                        "the same record without group commit: one INSERT and one commit per call"
                                + (b.saturated() || b.failures() > 0 ? " (could not keep up)" : "")));
                result.add(Figure.of("record_async_p99_us_" + key, "recordAsync() p99 at " + load + label(a, "us"),
                                a.latency().percentileMicros(99), "us", Figure.Better.LOWER)
                        .target(Figure.Target.below(TARGET_ASYNC_P99_US))
                        .baseline(d.latency().percentileMicros(99), "record() (durable) p99 at the same load"));
                if (rate == LOW) {
                    result.add(Figure.of("record_p999_ms_" + key, "record() p99.9 at " + load,
                            d.latency().percentileMillis(99.9), "ms", Figure.Better.LOWER)
                            .target(Figure.Target.below(TARGET_DURABLE_P999_MS)));
                }
                checkNoFailures(result, "record() at " + load, d);
                checkNoFailures(result, "recordAsync() at " + load, a);
            }

            progress.step("the disk's fdatasync latency (the floor of any durable write)");
            Latencies fsync = FsyncFloor.measure(ctx.env().walFileSystem(), ctx.count(200, 2_000));
            details.put("fdatasync_8k_ms", fsync.summary("ms"));
            result.add(Figure.of("fdatasync_p99_ms", "the disk's fdatasync of 8 KiB: p99 (p50 "
                    + fmt(fsync.percentileMillis(50)) + " ms), the floor under a commit", fsync.percentileMillis(99),
                    "ms", Figure.Better.LOWER));

            progress.step("record() at saturation (" + SATURATION_CALLERS + " callers)");
            OpenLoop.Result ds1 = OpenLoop.saturate(SATURATION_CALLERS, warmup, measure, durable, seed++, true);
            progress.step("baseline (a commit per call) at saturation");
            OpenLoop.Result bs = OpenLoop.saturate(ctx.quick() ? 32 : SATURATION_CALLERS, warmup, measure, noGroupCommit,
                    seed++, true);
            progress.step("recordAsync() at saturation");
            OpenLoop.Result as = OpenLoop.saturate(2, warmup, measure, e -> recorder.recordAsync(List.of(e)), seed++,
                    false);
            details.put("record_saturation", ds1.toMap("ms"));
            details.put("baseline_commit_per_call_saturation", bs.toMap("ms"));
            details.put("record_async_saturation", as.toMap("us"));
            result.detail("runs", details);
            result.detail("method", "one event per call; open loop: latency of record() from each call's intended"
                    + " start, recordAsync() timed around the call with HdrHistogram's expected-interval correction;"
                    + " saturation: closed loop");
            result.add(Figure.of("record_saturation_per_s", "record() at saturation: events/s" + label(ds1, "ms"),
                            ds1.issuedPerSecond(), "events/s", Figure.Better.HIGHER)
                    .baseline(bs.issuedPerSecond(), "one INSERT and one commit per call, " + SATURATION_CALLERS
                            + " callers"));
            result.add(Figure.of("record_async_saturation_per_s", "recordAsync() at saturation: events/s"
                    + label(as, "us"), as.issuedPerSecond(), "events/s", Figure.Better.HIGHER));
            if (as.failures() > 0) {
                result.note("recordAsync() at saturation refused " + as.failures() + " call(s) with a full buffer"
                        + " (back-pressure, none dropped)");
            }
        }
        switches(ctx, result, warmup, measure);
    }

    /** One way of running the record path: its two switches. */
    private record Variant(String key, String label, boolean notifyEveryCommit, boolean lowerWriter, boolean writer) {
    }

    /**
     * record() at {@value #LOW} events/s with each switch on and off, each on a fresh ledger (the JVM is warm by
     * now); the figure of each is set against both off, the behaviour before them, measured in the same run. A full
     * run measures every variant twice, the second round in reverse order, so that a drift of the machine's load
     * during the run weighs on all of them alike.
     */
    private static void switches(BenchContext ctx, ScenarioResult result, Duration warmup, Duration measure) {
        LedgerConfig base = ctx.env().base();
        int nice = base.writer().nice() != 0 ? base.writer().nice() : WriterSettings.DEFAULTS.nice();
        List<Variant> variants = List.of(
                new Variant("before", "NOTIFY on every commit, chDB at the JVM's priority (before)", true, false, true),
                new Variant("both", "no NOTIFY for this process's writer + chDB at nice " + nice + " (the default)",
                        false, true, true),
                new Variant("no_notify", "no NOTIFY for this process's writer only", false, false, true),
                new Variant("lowered", "chDB at nice " + nice + " only (NOTIFY on every commit)", true, true, true),
                // The experiment behind the limit: the same calls with no writer on the machine (the events stay in
                // PostgreSQL), i.e. what record() costs when it has both cores to itself.
                new Variant("no_writer", "no writer on the machine (events left in PostgreSQL): record()'s own cost",
                        false, true, false));
        Map<Variant, Latencies> latencies = new LinkedHashMap<>();
        Map<String, Object> details = new LinkedHashMap<>();
        List<Variant> order = new java.util.ArrayList<>(variants);
        int rounds = ctx.quick() ? 1 : 2;
        long seed = 100;
        for (int round = 1; round <= rounds; round++) {
            for (Variant v : order) {
                ctx.progress().step("record() at " + LOW / 1000 + "k/s, round " + round + ": " + v.label());
                RecorderSettings recorder = base.recorder().withNotifyEveryCommit(v.notifyEveryCommit());
                WriterSettings writer = base.writer().withNice(v.lowerWriter() ? nice : 0);
                OpenLoop.Result r;
                try (Ledger ledger = Ledger.open(ctx.env().freshLedgerConfig("latency_" + v.key() + "_" + round)
                        .with(recorder, writer), v.writer() ? Ledger.Mode.WORKER : Ledger.Mode.CLIENT)) {
                    UsageRecorder rec = ledger.recorder();
                    r = OpenLoop.blocking(LOW, warmup.multipliedBy(2), measure, e -> accepted(rec.record(List.of(e))),
                            seed++);
                }
                details.put(v.key() + "_round_" + round, r.toMap("ms"));
                checkNoFailures(result, "record() at " + LOW / 1000 + "k/s, " + v.label(), r);
                latencies.computeIfAbsent(v, k -> new Latencies()).add(r.latency());
            }
            java.util.Collections.reverse(order);
        }
        Latencies before = latencies.get(variants.getFirst());
        Latencies standard = latencies.get(variants.get(1));
        for (Variant v : variants) {
            Latencies l = latencies.get(v);
            String label = String.format(Locale.US, "record() p99 at 5k/s, %s (p50 %s, p99.9 %s ms)", v.label(),
                    fmt(l.percentileMillis(50)), fmt(l.percentileMillis(99.9)));
            Figure f = Figure.of("record_p99_ms_5k_" + v.key(), label, l.percentileMillis(99), "ms",
                    Figure.Better.LOWER);
            result.add(l == before ? f : !v.writer() ? f.baseline(standard.percentileMillis(99),
                    "the same with the writer draining in this process (the default)")
                    : f.baseline(before.percentileMillis(99), "the same, both switches off (before)"));
        }
        result.detail("switches_5k", details);
    }

    private static String label(OpenLoop.Result r, String unit) {
        double div = unit.equals("ms") ? 1e6 : 1e3;
        String u = unit.equals("us") ? "µs" : unit;
        return String.format(Locale.US, " (p50 %s, p99.9 %s %s%s)", fmt(r.latency().percentile(50) / div),
                fmt(r.latency().percentile(99.9) / div), u, r.saturated() ? ", SATURATED" : "");
    }

    private static String fmt(double v) {
        return v >= 100 ? String.format(Locale.US, "%,.0f", v) : v >= 10 ? String.format(Locale.US, "%.1f", v)
                : String.format(Locale.US, "%.2f", v);
    }

    private static void checkNoFailures(ScenarioResult result, String what, OpenLoop.Result r) {
        if (r.failures() > 0) {
            result.note(what + ": " + r.failures() + " call(s) failed, last: " + r.lastError());
        }
        if (r.saturated()) {
            result.note(what + ": the offered load could not be sustained (more than " + OpenLoop.MAX_IN_FLIGHT
                    + " calls outstanding)");
        }
    }

    private static void accepted(List<RecordResult> results) {
        for (RecordResult r : results) {
            if (r.status() != RecordResult.Status.ACCEPTED) {
                throw new IllegalStateException("event not accepted: " + r);
            }
        }
    }
}
