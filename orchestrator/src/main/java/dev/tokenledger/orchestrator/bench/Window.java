package dev.tokenledger.orchestrator.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A timed measurement of a running {@link PipelineLoad}: a warm-up, then a window sampled every second.
 * The figure is what reached ClickHouse during the window divided by its length.
 */
final class Window {
    /** Rates over the window and the per-second series. */
    record Rates(double writtenPerSecond, double recordedPerSecond, double seconds, long written, long recorded,
                 List<Map<String, Object>> series, CpuMeter.Sample cpu,
                 Map<String, Object> jvmThreadSharesPercent) {
        /** CPU microseconds per event written: JVM (chDB included), PostgreSQL (-1 when not visible), cores busy. */
        Map<String, Object> cpuPerEvent() {
            Map<String, Object> m = new LinkedHashMap<>();
            double events = Math.max(1, written);
            m.put("jvm_us_per_event", Latencies.round(cpu.javaCpuNanos() / 1e3 / events));
            m.put("postgres_us_per_event", cpu.postgresCpuNanos() < 0 ? null
                    : Latencies.round(cpu.postgresCpuNanos() / 1e3 / events));
            m.put("jvm_cores_busy", Latencies.round(cpu.javaCpuNanos() / (double) cpu.nanoTime()));
            m.put("postgres_cores_busy", cpu.postgresCpuNanos() < 0 ? null
                    : Latencies.round(cpu.postgresCpuNanos() / (double) cpu.nanoTime()));
            m.put("jvm_threads_percent", jvmThreadSharesPercent);
            return m;
        }
    }

    private Window() {
    }

    static Rates measure(PipelineLoad load, Duration warmup, Duration window, BenchProgress progress, String label,
                         CpuMeter meter) {
        long[] last = {System.nanoTime(), load.writtenLately(), load.recorded()};
        double[] rate = {0, 0};
        java.util.function.Supplier<String> live = () -> {
            long now = System.nanoTime();
            long w = load.writtenLately();
            long r = load.recorded();
            double dt = (now - last[0]) / 1e9;
            if (dt >= 0.9) {
                rate[0] = (w - last[1]) / dt;
                rate[1] = (r - last[2]) / dt;
                last[0] = now;
                last[1] = w;
                last[2] = r;
            }
            return String.format(java.util.Locale.US, "%,.0f events/s into ClickHouse, %,.0f recorded/s, backlog %,d",
                    rate[0], rate[1], Math.max(0, r - w));
        };
        progress.step(label + " (warm-up " + warmup.toSeconds() + "s)", live);
        sleep(warmup.toNanos());
        progress.step(label + " (measuring " + window.toSeconds() + "s)", live);
        List<Map<String, Object>> series = new ArrayList<>();
        CpuMeter.Sample cpu0 = meter.sample();
        Map<String, Long> threads0 = CpuMeter.threadTicks();
        long t0 = System.nanoTime();
        long w0 = load.written();
        long r0 = load.recorded();
        long prevT = t0;
        long prevW = w0;
        long prevR = r0;
        long end = t0 + window.toNanos();
        while (System.nanoTime() < end) {
            sleep(Math.min(1_000_000_000L, end - System.nanoTime()));
            long t = System.nanoTime();
            long w = load.written();
            long r = load.recorded();
            double dt = (t - prevT) / 1e9;
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("t_s", Latencies.round((t - t0) / 1e9));
            s.put("written_per_s", Math.round((w - prevW) / dt));
            s.put("recorded_per_s", Math.round((r - prevR) / dt));
            s.put("backlog", Math.max(0, r - w));
            series.add(s);
            prevT = t;
            prevW = w;
            prevR = r;
        }
        CpuMeter.Sample cpu = meter.sample().minus(cpu0);
        Map<String, Object> shares = CpuMeter.threadShares(threads0, CpuMeter.threadTicks());
        double seconds = (prevT - t0) / 1e9;
        return new Rates((prevW - w0) / seconds, (prevR - r0) / seconds, seconds, prevW - w0, prevR - r0, series, cpu, shares);
    }

    static void sleep(long nanos) {
        if (nanos <= 0) {
            return;
        }
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
