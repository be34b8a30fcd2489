package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.orchestrator.LedgerConfig;
import dev.tokenledger.orchestrator.Main;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * End-to-end throughput with one {@code ./tokenledger worker} process, then two, on one PostgreSQL and one ClickHouse
 * server, in the same run: the workers start on a fresh ledger, then {@value #FULL_EVENTS} events (quick:
 * {@value #QUICK_EVENTS}) are recorded from this process as fast as it can, and the clock stops when the last one is
 * in ClickHouse. Needs a ClickHouse server ({@code TOKENLEDGER_CLICKHOUSE_URL}): worker processes cannot share the
 * embedded one; without it the scenario says so and measures nothing.
 */
final class ScaleOutScenario implements Scenario {
    static final int FULL_EVENTS = 200_000;
    static final int QUICK_EVENTS = 20_000;

    @Override
    public String name() {
        return "scale-out";
    }

    @Override
    public String description() {
        return "end-to-end events/s with one worker process vs two (needs TOKENLEDGER_CLICKHOUSE_URL)";
    }

    @Override
    public void run(BenchContext ctx, ScenarioResult result) throws Exception {
        if (ctx.env().embeddedClickHouse()) {
            result.note("skipped: worker processes need a ClickHouse server (TOKENLEDGER_CLICKHOUSE_URL); the embedded"
                    + " chDB can be open in one process only");
            return;
        }
        int events = ctx.count(QUICK_EVENTS, FULL_EVENTS);
        Map<String, Object> one = run(ctx, 1, events);
        Map<String, Object> two = run(ctx, 2, events);
        result.detail("one_worker", one);
        result.detail("two_workers", two);
        double oneRate = (double) one.get("events_per_s");
        double twoRate = (double) two.get("events_per_s");
        result.add(Figure.of("two_workers_events_per_s", "end-to-end events/s, 2 worker processes", twoRate,
                "events/s", Figure.Better.HIGHER).baseline(oneRate, "1 worker process, same run"));
        result.note(String.format(Locale.ROOT, "2 workers / 1 worker = %.2f; batches written per process: %s",
                twoRate / oneRate, two.get("batches_by_process")));
    }

    private static Map<String, Object> run(BenchContext ctx, int workers, int events) throws Exception {
        BenchProgress progress = ctx.progress();
        LedgerConfig config = ctx.env().freshLedgerConfig("scale_out_" + workers);
        List<Process> processes = new ArrayList<>();
        try (Ledger ledger = Ledger.open(config, Ledger.Mode.CLIENT);
             ClickHouse counter = ctx.env().openClickHouse(config.clickHouseDatabase(), false)) {
            progress.step("starting " + workers + " worker process(es)");
            List<CompletableFuture<Process>> starting = new ArrayList<>();
            for (int i = 0; i < workers; i++) {
                int n = i;
                starting.add(CompletableFuture.supplyAsync(() -> startWorker(ctx, config, workers, n)));
            }
            for (CompletableFuture<Process> p : starting) {
                processes.add(p.join());
            }

            AtomicLong recorded = new AtomicLong();
            progress.step("recording " + events + " events, " + workers + " worker process(es) writing",
                    () -> String.format(Locale.US, "%,d recorded, %,d in ClickHouse", Math.min(recorded.get(), events),
                            count(counter)));
            long t0 = System.nanoTime();
            List<Thread> callers = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                BenchTraffic traffic = new BenchTraffic(17L * i + workers);
                callers.add(Thread.ofVirtual().start(() -> {
                    while (true) {
                        long before = recorded.getAndAdd(250);
                        if (before >= events) {
                            return;
                        }
                        int n = (int) Math.min(250, events - before);
                        ledger.recorder().record(traffic.next(n, Instant.now().truncatedTo(ChronoUnit.MILLIS)));
                    }
                }));
            }
            for (Thread t : callers) {
                t.join();
            }
            double recordSeconds = (System.nanoTime() - t0) / 1e9;
            long deadline = t0 + Duration.ofMinutes(30).toNanos();
            long written;
            while ((written = count(counter)) < events) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(workers + " worker(s) did not write " + events + " events in 30"
                            + " minutes: " + written);
                }
                Thread.sleep(50);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (written != events) {
                throw new IllegalStateException("exactly-once check failed: " + events + " recorded, " + written
                        + " rows in ClickHouse");
            }
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("worker_processes", workers);
            d.put("events", events);
            d.put("record_seconds", Latencies.round(recordSeconds));
            d.put("seconds", Latencies.round(seconds));
            d.put("events_per_s", (double) Math.round(events / seconds));
            d.put("batches_by_process", batchesByProcess(ledger));
            return d;
        } finally {
            for (Process p : processes) {
                p.destroy(); // SIGTERM: a worker stops cleanly
            }
            for (Process p : processes) {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    /** {@code ./tokenledger worker} on the scenario's databases, from this JVM's own class path; waits until it serves. */
    private static Process startWorker(BenchContext ctx, LedgerConfig config, int workers, int n) {
        ServerClickHouse.Settings ch = config.clickHouseServer();
        List<String> command = List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseZGC", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "worker");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("TOKENLEDGER_HOME", config.home().resolve("scale-out-" + workers + "-" + n).toString());
        env.put("TOKENLEDGER_PG_URL", config.postgres().url());
        env.put("TOKENLEDGER_PG_USER", ctx.env().pgUser());
        if (ctx.env().pgPassword() != null) {
            env.put("TOKENLEDGER_PG_PASSWORD", ctx.env().pgPassword());
        } else {
            env.remove("TOKENLEDGER_PG_PASSWORD");
        }
        env.put("TOKENLEDGER_CLICKHOUSE_URL", ch.endpoint());
        env.put("TOKENLEDGER_CLICKHOUSE_USER", ch.user());
        env.put("TOKENLEDGER_CLICKHOUSE_PASSWORD", ch.password() == null ? "" : ch.password());
        env.put("TOKENLEDGER_CLICKHOUSE_DATABASE", config.clickHouseDatabase());
        env.put("TOKENLEDGER_CLICKHOUSE_COMPRESSION", Boolean.toString(ch.compressServerResponse()));
        env.put("TOKENLEDGER_WORKER_PORT", "0");
        env.put("TOKENLEDGER_LOCAL_ONLY", "true");
        Path log = config.home().resolve("scale-out-" + workers + "-" + n + ".log");
        try {
            Files.createDirectories(log.getParent());
            Process p = builder.start();
            CompletableFuture<Void> ready = new CompletableFuture<>();
            Thread.ofPlatform().daemon(true).name("scale-out-worker-" + n).start(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8)); Writer w = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
                    String line;
                    while ((line = out.readLine()) != null) {
                        w.write(line);
                        w.write('\n');
                        w.flush();
                        if (line.startsWith("Worker:")) {
                            ready.complete(null);
                        }
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
                ready.completeExceptionally(new IllegalStateException("worker process ended before it served; see "
                        + log));
            });
            ready.get(120, TimeUnit.SECONDS);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("worker process " + n + " did not start; see " + log, e);
        }
    }

    private static Map<String, Long> batchesByProcess(Ledger ledger) throws SQLException {
        Map<String, Long> out = new LinkedHashMap<>();
        try (Connection c = ledger.postgres().dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT written_by, count(*) FROM usage_batch WHERE written_at IS NOT NULL"
                     + " GROUP BY 1 ORDER BY 1")) {
            while (rs.next()) {
                out.put(String.valueOf(rs.getString(1)), rs.getLong(2));
            }
        }
        return out;
    }

    private static long count(ClickHouse ch) {
        return ch.query("SELECT count() AS n FROM llm_usage").getFirst().int64("n");
    }
}
