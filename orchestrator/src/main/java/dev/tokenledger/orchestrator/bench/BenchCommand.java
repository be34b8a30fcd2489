package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.orchestrator.LedgerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokenledger bench}: the benchmark suite. Each scenario measures its figures and a baseline in the
 * same run, on fresh databases of its own (see {@link BenchEnvironment}); the end prints a table and, with
 * {@code --json}, writes every figure with the machine and the git commit. Targets are reported, never
 * enforced: the exit code says only whether every scenario ran to the end.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmark the ledger end to end on fresh databases (embedded defaults, or the servers in "
                + "TOKENLEDGER_PG_URL / TOKENLEDGER_CLICKHOUSE_URL), each figure against a baseline measured in "
                + "the same run. Scenarios: throughput, record-latency, freshness, catch-up, queries, integrity, reprice, pricing, otlp, budgets, memory; soak only when named.",
                "The exit code is 0 when every scenario ran; targets are reported, not enforced."})
public final class BenchCommand implements Callable<Integer> {
    static final List<Scenario> SCENARIOS = List.of(new ThroughputScenario(), new RecordLatencyScenario(),
            new FreshnessScenario(), new CatchUpScenario(), new QueriesScenario(), new IntegrityScenario(),
            new RepriceScenario(), new PricingScenario(), new OtlpIngestScenario(), new BudgetsScenario(),
            new ScaleOutScenario(), new MemoryScenario());
    /** Run only when named: a soak takes half an hour. */
    static final List<Scenario> ON_REQUEST = List.of(new SoakScenario());

    @Spec
    CommandSpec spec;

    @Option(names = "--scenario", paramLabel = "NAME|all", defaultValue = "all", split = ",",
            description = "scenario(s) to run, comma-separated, or all (default)")
    List<String> scenarios;

    @Option(names = "--quick", description = "a smoke run in under a minute (CI): shorter windows, fewer rows")
    boolean quick;

    @Option(names = "--json", paramLabel = "FILE", description = "write every figure, the machine and the git commit to FILE")
    Path json;

    @Option(names = "--duration", paramLabel = "DURATION", description = "how long the soak scenario runs (30m, 10m,"
            + " 90s; default 30m, 20s with --quick)")
    String duration;

    @Option(names = "--list", description = "list the scenarios and exit")
    boolean list;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (list) {
            java.util.stream.Stream.concat(SCENARIOS.stream(), ON_REQUEST.stream())
                    .forEach(s -> out.printf(Locale.ROOT, "%-15s %s%n", s.name(), s.description()));
            out.flush();
            return 0;
        }
        List<Scenario> chosen = choose(scenarios);
        java.time.Duration soak = duration == null ? null : parseDuration(duration);
        // The naive baseline enqueues thousands of jobs a second; JobRunr warns about each slow filter pass.
        if (org.slf4j.LoggerFactory.getLogger("org.jobrunr.jobs.filters") instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(ch.qos.logback.classic.Level.ERROR);
        }
        LedgerConfig base = LedgerConfig.fromEnvironment();
        long started = System.nanoTime();
        Instant startedAt = Instant.now();
        out.println("tokenledger bench" + (quick ? " --quick" : "") + ": " + String.join(", ",
                chosen.stream().map(Scenario::name).toList()));
        out.flush();
        List<ScenarioResult> results = new ArrayList<>();
        Map<String, Object> header = new LinkedHashMap<>();
        try (BenchProgress progress = new BenchProgress(err, System.console() != null)) {
            progress.scenario("setup");
            progress.step("starting the databases");
            long cleanupStarted;
            try (BenchEnvironment env = BenchEnvironment.open(base)) {
                Map<String, Object> machine = MachineInfo.describe(env.postgresVersion(),
                        env.embeddedPostgres() ? "embedded" : "server", env.clickHouseVersion(),
                        env.embeddedClickHouse() ? "embedded (chDB)" : "server");
                header.put("setup_s", Latencies.round((System.nanoTime() - started) / 1e9));
                progress.clear();
                out.println("  " + env.describe());
                out.println("  " + machine.get("cores") + " cores, " + (MachineInfo.totalMemory() >> 20) + " MiB, "
                        + machine.get("jdk") + "; PostgreSQL " + env.postgresVersion() + ", ClickHouse "
                        + env.clickHouseVersion());
                out.flush();
                header.put("tokenledger_bench", 1);
                header.put("quick", quick);
                header.put("started_at", startedAt.toString());
                header.put("git", MachineInfo.git());
                header.put("machine", machine);
                header.put("settings", settings(base));
                header.put("load_average_at_start", MachineInfo.loadAverage());
                BenchContext ctx = new BenchContext(env, quick, progress, soak);
                for (Scenario s : chosen) {
                    ScenarioResult r = new ScenarioResult(s.name());
                    progress.scenario(s.name());
                    long t0 = System.nanoTime();
                    try {
                        s.run(ctx, r);
                    } catch (Exception | Error e) {
                        r.status = "failed";
                        r.error = e.getMessage() == null ? e.toString() : e.getMessage();
                        org.slf4j.LoggerFactory.getLogger(BenchCommand.class).warn("scenario {} failed", s.name(), e);
                    }
                    r.seconds = (System.nanoTime() - t0) / 1e9;
                    r.detail("load_average_after", MachineInfo.loadAverage());
                    results.add(r);
                    progress.clear();
                    out.printf(Locale.ROOT, "  %-15s %s in %.1fs%n", s.name(), r.status.equals("ok") ? "done" : "FAILED: "
                            + (r.error == null ? "" : r.error.lines().findFirst().orElse("")), r.seconds);
                    out.flush();
                }
                progress.scenario("cleanup");
                progress.step("dropping the benchmark databases");
                cleanupStarted = System.nanoTime();
            }
            header.put("cleanup_s", Latencies.round((System.nanoTime() - cleanupStarted) / 1e9));
        }
        double total = (System.nanoTime() - started) / 1e9;
        header.put("finished_at", Instant.now().toString());
        header.put("load_average_at_end", MachineInfo.loadAverage());
        header.put("duration_s", Latencies.round(total));
        out.println();
        out.print(BenchReport.table(results));
        List<String> baselines = BenchReport.baselines(results);
        if (!baselines.isEmpty()) {
            out.println();
            out.println("baselines (measured in this run): " + String.join("; ", baselines));
        }
        for (ScenarioResult r : results) {
            r.notes.forEach(n -> out.println("  " + r.scenario + ": " + n));
        }
        out.printf(Locale.ROOT, "%ntotal %.1fs%n", total);
        if (json != null) {
            Path parent = json.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(json, BenchReport.json(header, results));
            out.println("figures written to " + json);
        }
        out.flush();
        return results.stream().allMatch(r -> r.status.equals("ok")) ? 0 : 1;
    }

    private static Map<String, Object> settings(LedgerConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("commit_threads", c.recorder().commitThreads());
        m.put("max_events_per_commit", c.recorder().maxEventsPerCommit());
        m.put("record_buffer_events", c.recorder().bufferEvents());
        m.put("batch_max_events", c.writer().maxBatchEvents());
        m.put("batch_linger_ms", c.writer().linger().toMillis());
        m.put("workers", c.workers());
        m.put("pg_pool_size", c.postgres().maxPoolSize());
        return m;
    }

    static java.time.Duration parseDuration(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(s|m|h)").matcher(text.strip());
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new IllegalArgumentException("--duration must be a positive number of s, m or h (30m, 90s), got '"
                    + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> java.time.Duration.ofSeconds(n);
            case "m" -> java.time.Duration.ofMinutes(n);
            default -> java.time.Duration.ofHours(n);
        };
    }

    static List<Scenario> choose(List<String> names) {
        if (names == null || names.isEmpty() || names.size() == 1 && names.getFirst().equalsIgnoreCase("all")) {
            return SCENARIOS;
        }
        List<Scenario> out = new ArrayList<>();
        for (String n : names) {
            List<Scenario> known = java.util.stream.Stream.concat(SCENARIOS.stream(), ON_REQUEST.stream()).toList();
            Scenario s = known.stream().filter(x -> x.name().equalsIgnoreCase(n.strip())).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("--scenario must be all or one of "
                            + String.join(", ", known.stream().map(Scenario::name).toList()) + "; got '" + n + "'"));
            if (!out.contains(s)) {
                out.add(s);
            }
        }
        return out;
    }
}
