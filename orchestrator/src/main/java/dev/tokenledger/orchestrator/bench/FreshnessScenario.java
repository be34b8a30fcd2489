package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.usage.UsageEvent;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Freshness: from {@code record()} returning to the row being visible in ClickHouse (polled on a
 * connection of its own, by a user id only that probe has). Idle: one event at a time. Under load: a probe
 * every 100 ms while {@value #LOAD} events/s flow. Baseline: the naive design (one JobRunr job per
 * event), whose job waits for JobRunr's next poll of its queue.
 */
final class FreshnessScenario implements Scenario {
    static final int LOAD = 20_000;
    static final double TARGET_P99_MS = 1_000;
    private static final long POLL_NANOS = 2_000_000;
    /** The linger the under-load phase is also run with, beside the configured one. */
    static final Duration SHORT_LINGER = Duration.ofMillis(100);

    @Override
    public String name() {
        return "freshness";
    }

    @Override
    public String description() {
        return "time from record() returning to the row visible in ClickHouse, idle and under " + LOAD + " events/s";
    }

    @Override
    public void run(BenchContext ctx, ScenarioResult result) throws InterruptedException {
        BenchProgress progress = ctx.progress();
        String run = Long.toString(System.nanoTime(), 36);
        Latencies idle = new Latencies();
        Latencies loaded;
        Map<String, Object> details = new LinkedHashMap<>();
        progress.step("starting the service");
        try (Ledger ledger = ctx.env().openLedger("freshness", Ledger.Mode.WORKER);
             ClickHouse probe = ctx.env().openClickHouse(ledger.clickHouse().database(), false)) {
            BenchTraffic traffic = new BenchTraffic(5);
            long linger = ledger.config().writer().linger().toMillis();
            int idleProbes = ctx.count(6, 60);
            for (int i = -1; i < idleProbes; i++) { // a warm-up probe
                int n = i;
                progress.step("idle: one event at a time", () -> String.format(java.util.Locale.US,
                        "%d of %d, p50 %.0f ms", Math.max(0, n), idleProbes, idle.percentileMillis(50)));
                // One event at a time on an idle system: wait out the sealer's linger before the next.
                Thread.sleep(linger + 100 + ThreadLocalRandom.current().nextInt(50));
                UsageEvent e = traffic.next(Instant.now().truncatedTo(ChronoUnit.MILLIS), "probe-" + run + "-idle-" + i);
                ledger.recorder().record(List.of(e));
                long recorded = System.nanoTime();
                long seen = awaitVisible(probe, e.userId(), recorded + Duration.ofSeconds(60).toNanos());
                if (i >= 0) {
                    idle.record(seen - recorded);
                }
            }
            details.put("idle_ms", idle.summary("ms"));

            Duration window = ctx.duration(Duration.ofSeconds(2), Duration.ofSeconds(30));
            UnderLoad at = underLoad(ctx, ledger, probe, run, window, linger);
            loaded = at.latencies();
            details.put("under_load_ms", loaded.summary("ms"));
            details.put("load_events_recorded", at.recorded());
            details.put("linger_ms", linger);
            details.put("batches_written", at.batches());
            details.put("events_per_batch", at.batches() == 0 ? 0 : at.recordedMeasured() / at.batches());
        }
        // The same load with a shorter linger, in a service of its own: what the batch linger costs freshness, and
        // what the smaller batches it seals cost the writer.
        Latencies shortLinger;
        try (Ledger ledger = Ledger.open(ctx.env().freshLedgerConfig("freshness_linger").with(
                        ctx.env().base().recorder(), ctx.env().base().writer().withLinger(SHORT_LINGER)), Ledger.Mode.WORKER);
             ClickHouse probe = ctx.env().openClickHouse(ledger.clickHouse().database(), false)) {
            Duration window = ctx.duration(Duration.ofSeconds(2), Duration.ofSeconds(30));
            UnderLoad at = underLoad(ctx, ledger, probe, run + "s", window, SHORT_LINGER.toMillis());
            shortLinger = at.latencies();
            Map<String, Object> variant = new LinkedHashMap<>();
            variant.put("linger_ms", SHORT_LINGER.toMillis());
            variant.put("under_load_ms", shortLinger.summary("ms"));
            variant.put("load_events_recorded", at.recorded());
            variant.put("batches_written", at.batches());
            variant.put("events_per_batch", at.batches() == 0 ? 0 : at.recordedMeasured() / at.batches());
            details.put("short_linger", variant);
        }
        Latencies naive = naive(ctx, run);
        details.put("baseline_idle_ms", naive.summary("ms"));
        details.put("method", "visibility polled every 2 ms idle and every 5 ms under load, on a ClickHouse"
                + " connection of its own; a probe is an event with a user id of its own");
        result.detail("freshness", details);

        result.add(Figure.of("idle_p99_ms", "idle: p99 (p50 " + Math.round(idle.percentileMillis(50)) + " ms)",
                        idle.percentileMillis(99), "ms", Figure.Better.LOWER)
                .target(Figure.Target.below(TARGET_P99_MS))
                .baseline(naive.percentileMillis(99), "one JobRunr job per event (picked up at JobRunr's poll)"));
        result.add(Figure.of("load_p99_ms", "under " + LOAD / 1000 + "k events/s: p99 (p50 "
                                + Math.round(loaded.percentileMillis(50)) + " ms)", loaded.percentileMillis(99), "ms",
                        Figure.Better.LOWER)
                .target(Figure.Target.below(TARGET_P99_MS)));
        result.add(Figure.of("load_p99_ms_linger_" + SHORT_LINGER.toMillis(), "under " + LOAD / 1000 + "k events/s, linger "
                                + SHORT_LINGER.toMillis() + " ms: p99 (p50 " + Math.round(shortLinger.percentileMillis(50))
                                + " ms)", shortLinger.percentileMillis(99), "ms", Figure.Better.LOWER)
                .target(Figure.Target.below(TARGET_P99_MS)));
    }

    /** What one under-load phase measured. */
    private record UnderLoad(Latencies latencies, long recorded, long recordedMeasured, long batches) {
    }

    /**
     * {@value #LOAD} events/s through {@code record()} for {@code window} after a warm-up, a probe every 100 ms, each
     * timed from its {@code record()} returning to its row visible.
     */
    private static UnderLoad underLoad(BenchContext ctx, Ledger ledger, ClickHouse probe, String run, Duration window,
                                       long linger) throws InterruptedException {
        BenchProgress progress = ctx.progress();
        Latencies loaded = new Latencies();
        String label = "under " + LOAD + " events/s, linger " + linger + " ms";
        try (PipelineLoad load = new PipelineLoad(64, 1, ledger.recorder()::record, probe, 200_000, LOAD, true, 6)) {
            progress.step(label + ": warm-up");
            Thread.sleep(ctx.quick() ? 500 : 5_000);
            long batchesBefore = batchesWritten(probe);
            long recordedBefore = load.recorded();
            Map<String, Long> outstanding = new ConcurrentHashMap<>();
            Thread prober = Thread.ofVirtual().start(() -> {
                BenchTraffic probes = new BenchTraffic(8);
                long end = System.nanoTime() + window.toNanos();
                int i = 0;
                while (System.nanoTime() < end) {
                    UsageEvent e = probes.next(Instant.now().truncatedTo(ChronoUnit.MILLIS),
                            "probe-" + run + "-load-" + i++);
                    ledger.recorder().record(List.of(e));
                    outstanding.put(e.userId(), System.nanoTime());
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException ex) {
                        return;
                    }
                }
            });
            progress.step(label + ": a probe every 100 ms", () -> String.format(java.util.Locale.US,
                    "%d seen, p99 %.0f ms, %,d recorded", loaded.count(), loaded.percentileMillis(99), load.recorded()));
            long deadline = System.nanoTime() + window.toNanos() + Duration.ofSeconds(60).toNanos();
            while ((prober.isAlive() || !outstanding.isEmpty()) && System.nanoTime() < deadline) {
                if (!outstanding.isEmpty()) {
                    Set<String> ids = new HashSet<>(outstanding.keySet());
                    long polled = System.nanoTime();
                    for (String seen : visible(probe, ids)) {
                        Long at = outstanding.remove(seen);
                        if (at != null) {
                            loaded.record(polled - at);
                        }
                    }
                }
                Thread.sleep(5);
            }
            prober.join();
            if (!outstanding.isEmpty()) {
                throw new IllegalStateException(outstanding.size() + " probe event(s) never became visible");
            }
            return new UnderLoad(loaded, load.recorded(), load.recorded() - recordedBefore,
                    batchesWritten(probe) - batchesBefore);
        }
    }

    /** Distinct batches in llm_usage: how many inserts (parts) the writer made. */
    private static long batchesWritten(ClickHouse probe) {
        return probe.query("SELECT uniqExact(batch_id) AS n FROM llm_usage").getFirst().int64("n");
    }

    /** Polls until the probe's row is visible; returns when it was first seen. */
    private static long awaitVisible(ClickHouse probe, String userId, long deadline) throws InterruptedException {
        while (System.nanoTime() < deadline) {
            long polled = System.nanoTime();
            if (!visible(probe, Set.of(userId)).isEmpty()) {
                return polled;
            }
            long wait = polled + POLL_NANOS - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(Duration.ofNanos(wait));
            }
        }
        throw new IllegalStateException("probe " + userId + " was not visible in ClickHouse within a minute");
    }

    private static List<String> visible(ClickHouse probe, Set<String> userIds) {
        StringBuilder in = new StringBuilder();
        Map<String, String> params = new LinkedHashMap<>();
        int i = 0;
        for (String id : userIds) {
            in.append(i == 0 ? "" : ", ").append("{u").append(i).append(":String}");
            params.put("u" + i, id);
            i++;
        }
        List<String> out = new ArrayList<>();
        for (Row r : probe.query("SELECT DISTINCT user_id FROM llm_usage WHERE user_id IN (" + in + ")", params)) {
            out.add(r.string("user_id"));
        }
        return out;
    }

    /** The naive design: enqueue one job per probe, then wait; JobRunr finds the job at its next poll. */
    private static Latencies naive(BenchContext ctx, String run) throws InterruptedException {
        Latencies out = new Latencies();
        int probes = ctx.count(1, 8);
        ctx.progress().step("baseline (one JobRunr job per event, JobRunr's 5 s poll): " + probes + " probes");
        try (NaiveDesign naive = new NaiveDesign(ctx.env(), "freshness_naive");
             ClickHouse probe = ctx.env().openClickHouse(naive.ledger().clickHouse().database(), false)) {
            naive.start();
            BenchTraffic traffic = new BenchTraffic(9);
            for (int i = 0; i < probes; i++) {
                Thread.sleep(ThreadLocalRandom.current().nextInt(1_000));
                UsageEvent e = traffic.next(Instant.now().truncatedTo(ChronoUnit.MILLIS), "probe-" + run + "-naive-" + i);
                naive.enqueue(e);
                long recorded = System.nanoTime();
                long seen = awaitVisible(probe, e.userId(), recorded + Duration.ofSeconds(60).toNanos());
                out.record(seen - recorded);
            }
        }
        return out;
    }
}
