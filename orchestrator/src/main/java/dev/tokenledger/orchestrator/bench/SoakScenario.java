package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.usage.RecordResult;
import dev.tokenledger.usage.UsageRecorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A long run at {@value #RATE} events/s ({@code record()}, durable, one event per call, open loop) with the writer
 * draining in the same process, reporting each minute: the resident set, the heap, chDB's memory, the backlog
 * (events recorded and not yet in ClickHouse) and record()'s latency, to show whether they stay flat once warm. A
 * machine that cannot take the rate sheds calls (none issued while too many are outstanding) and says so.
 * 30 minutes unless {@code --duration} says otherwise; never part of {@code all} (nor of {@code --quick}).
 */
final class SoakScenario implements Scenario {
    static final int RATE = 20_000;
    static final Duration DEFAULT_DURATION = Duration.ofMinutes(30);

    @Override
    public String name() {
        return "soak";
    }

    @Override
    public String description() {
        return "20k events/s for 30 min (--duration): RSS, backlog and record() p99 per minute (only when named)";
    }

    @Override
    public void run(BenchContext ctx, ScenarioResult result) {
        Duration total = ctx.soakDuration() != null ? ctx.soakDuration()
                : ctx.duration(Duration.ofSeconds(20), DEFAULT_DURATION);
        Duration slice = ctx.quick() || total.compareTo(Duration.ofMinutes(3)) < 0 ? Duration.ofSeconds(5)
                : Duration.ofMinutes(1);
        long slices = Math.max(2, total.toNanos() / slice.toNanos());
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Ledger ledger = ctx.env().openLedger("soak", Ledger.Mode.WORKER);
             ClickHouse ch = ctx.env().openClickHouse(ledger.clickHouse().database(), false)) {
            UsageRecorder recorder = ledger.recorder();
            List<MemoryUse> memory = new ArrayList<>();
            List<Double> p99 = new ArrayList<>();
            result.note(String.format(Locale.ROOT, "%-6s %9s %8s %8s %9s %8s %8s %8s %9s", "slice", "events/s",
                    "p50 ms", "p99 ms", "p99.9 ms", "RSS MiB", "heap", "chDB", "backlog"));
            for (int i = 1; i <= slices; i++) {
                ctx.progress().step(String.format(Locale.ROOT, "%,d events/s: slice %d of %d (%d s each)", RATE, i,
                        slices, slice.toSeconds()));
                // Shedding, not giving up: a machine that cannot take the rate still runs the whole soak.
                OpenLoop.Result r = OpenLoop.blocking(RATE, Duration.ZERO, slice, e -> accepted(recorder.record(
                        List.of(e))), i, true);
                MemoryUse m = MemoryUse.now(ch);
                long backlog = ledger.backlog().snapshot().pendingEvents();
                memory.add(m);
                p99.add(r.latency().percentileMillis(99));
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("slice", i);
                row.put("record", r.toMap("ms"));
                row.put("memory", m.toMap());
                row.put("backlog_events", backlog);
                row.put("load_average", MachineInfo.loadAverage());
                rows.add(row);
                result.note(String.format(Locale.ROOT, "%-6d %,9.0f %8.2f %8.1f %9.1f %8.0f %8.0f %8.0f %,9d%s", i,
                        r.issuedPerSecond(), r.latency().percentileMillis(50), r.latency().percentileMillis(99),
                        r.latency().percentileMillis(99.9), m.rssMib(), m.heapUsedMib(), m.clickHouseTrackedMib(),
                        backlog, r.saturated() ? " SATURATED (calls shed)" : r.failures() > 0 ? " " + r.failures() + " failed" : ""));
            }
            // Warm-up is the first slice; from the second on, the figures should stay where they are.
            MemoryUse warm = memory.get(1);
            MemoryUse last = memory.getLast();
            double minutes = (slices - 2) * slice.toSeconds() / 60.0;
            result.add(Figure.of("soak_rss_end_mib", "RSS at the end of " + slices + " slices of " + slice.toSeconds()
                            + " s", last.rssMib(), "MiB",
                    Figure.Better.LOWER).baseline(warm.rssMib(), "RSS after the second slice (warm)"));
            if (minutes > 0) {
                result.add(Figure.of("soak_rss_growth_mib_per_min", "RSS growth after warm-up, per minute",
                        (last.rssMib() - warm.rssMib()) / minutes, "MiB/min", Figure.Better.LOWER));
            }
            result.add(Figure.of("soak_heap_end_mib", "Java heap in use at the end", last.heapUsedMib(), "MiB",
                    Figure.Better.LOWER).baseline(warm.heapUsedMib(), "after the second slice"));
            result.add(Figure.of("soak_p99_last_ms", "record() p99, last slice", p99.getLast(), "ms",
                    Figure.Better.LOWER).baseline(p99.get(1), "second slice"));
            result.add(Figure.of("soak_p99_worst_ms", "record() p99, worst slice after the first",
                    p99.subList(1, p99.size()).stream().mapToDouble(Double::doubleValue).max().orElse(-1), "ms",
                    Figure.Better.LOWER));
            result.add(Figure.of("soak_backlog_end", "backlog at the end (events recorded, not yet in ClickHouse)",
                    ((Number) rows.getLast().get("backlog_events")).doubleValue(), "events", Figure.Better.LOWER));
            result.detail("rate_per_s", RATE);
            result.detail("slices", rows);
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
