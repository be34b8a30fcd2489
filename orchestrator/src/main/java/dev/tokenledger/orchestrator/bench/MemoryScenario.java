package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.orchestrator.Ledger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The service's memory: this process's resident set (Java heap, the JVM's native memory and chDB's, all in one
 * process as {@code serve} runs), with the heap and chDB's own figure beside it, once idle and then every second
 * under {@value #RATE} events/s recorded one per call and written to ClickHouse. The JVM holds whatever earlier
 * scenarios of the same run touched (heap it grew, chDB's caches): run it alone for the service's own figure.
 */
final class MemoryScenario implements Scenario {
    static final int RATE = 20_000;
    /** Enough blocking callers to offer the rate while each waits tens of milliseconds for its commit. */
    static final int CALLERS = 2_048;

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public String description() {
        return "the process's RSS (heap, JVM native, chDB) idle and at 20k events/s";
    }

    @Override
    public void run(BenchContext ctx, ScenarioResult result) {
        Duration idle = ctx.duration(Duration.ofSeconds(2), Duration.ofSeconds(30));
        Duration loaded = ctx.duration(Duration.ofSeconds(5), Duration.ofSeconds(60));
        try (Ledger ledger = ctx.env().openLedger("memory", Ledger.Mode.WORKER);
             ClickHouse ch = ctx.env().openClickHouse(ledger.clickHouse().database(), false)) {
            ctx.progress().step("idle for " + idle.toSeconds() + " s");
            Window.sleep(idle.toNanos());
            MemoryUse atIdle = MemoryUse.now(ch);
            List<MemoryUse> samples = new ArrayList<>();
            long recorded;
            long started = System.nanoTime();
            try (PipelineLoad load = new PipelineLoad(CALLERS, 1, ledger.recorder()::record, ch, 150_000, RATE, true,
                    RATE)) {
                while (System.nanoTime() - started < loaded.toNanos()) {
                    ctx.progress().step(String.format(Locale.ROOT, "%,d events/s for %d s: %d s", RATE,
                            loaded.toSeconds(), (System.nanoTime() - started) / 1_000_000_000L));
                    Window.sleep(1_000_000_000L);
                    samples.add(MemoryUse.now(ch));
                }
                load.stop();
                recorded = load.recorded();
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            MemoryUse peak = samples.stream().max((a, b) -> Double.compare(a.rssMib(), b.rssMib())).orElseThrow();
            double maxHeap = samples.stream().mapToDouble(MemoryUse::heapUsedMib).max().orElse(-1);
            result.add(Figure.of("rss_idle_mib", String.format(Locale.ROOT, "RSS idle (heap %.0f used of %.0f"
                            + " committed, chDB tracks %.0f)", atIdle.heapUsedMib(), atIdle.heapCommittedMib(),
                    atIdle.clickHouseTrackedMib()), atIdle.rssMib(), "MiB", Figure.Better.LOWER));
            result.add(Figure.of("rss_loaded_mib", String.format(Locale.ROOT, "RSS at %,d events/s: highest of %d"
                            + " samples (heap %.0f used of %.0f committed, chDB tracks %.0f)", RATE, samples.size(),
                    peak.heapUsedMib(), peak.heapCommittedMib(), peak.clickHouseTrackedMib()), peak.rssMib(), "MiB",
                    Figure.Better.LOWER).baseline(atIdle.rssMib(), "idle, same process"));
            result.add(Figure.of("heap_used_loaded_mib", "Java heap in use at " + RATE / 1000 + "k events/s: highest",
                    maxHeap, "MiB", Figure.Better.LOWER));
            result.add(Figure.of("memory_load_events_per_s", "events/s recorded meanwhile (offered " + RATE + ")",
                    recorded / seconds, "events/s", Figure.Better.HIGHER));
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("idle", atIdle.toMap());
            d.put("loaded_samples", samples.stream().map(MemoryUse::toMap).toList());
            result.detail("memory", d);
        }
    }
}
