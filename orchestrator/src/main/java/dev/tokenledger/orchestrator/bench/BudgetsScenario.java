package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.orchestrator.LedgerConfig;
import dev.tokenledger.orchestrator.http.HttpApi;
import dev.tokenledger.usage.Budget;
import dev.tokenledger.usage.Budgets;
import dev.tokenledger.usage.UsageEvent;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Budgets: how long {@code Budgets.check} takes (in-process, and {@code GET /v1/budgets/check} over HTTP on this
 * machine), and the budget lag: from {@code record()} returning to the check reflecting the call's cost, idle and
 * under {@value #LOAD} events/s. {@value #BUDGETS} budgets on the traffic's workspaces, users and model families are
 * refreshed every second, as the service does by default.
 */
final class BudgetsScenario implements Scenario {
    static final int LOAD = 10_000;
    static final int BUDGETS = 100;
    static final double TARGET_CHECK_P99_US = 1_000;
    static final double TARGET_HTTP_P99_MS = 5;
    private static final String PROBE_WORKSPACE = "bench-budget-probe";
    private static final String PROBE_USER = "bench-budget-probe-user";

    @Override
    public String name() {
        return "budgets";
    }

    @Override
    public String description() {
        return "budget check latency (in-process, HTTP) and lag from record() to the check, idle and under " + LOAD
                + " events/s";
    }

    @Override
    public void run(BenchContext ctx, ScenarioResult result) throws Exception {
        BenchProgress progress = ctx.progress();
        Map<String, Object> details = new LinkedHashMap<>();
        String key = "bench-" + UUID.randomUUID();
        LedgerConfig base = ctx.env().freshLedgerConfig("budgets");
        LedgerConfig config = new LedgerConfig(base.home(), base.postgres(), base.clickHouseServer(),
                base.clickHouseDatabase(), new LedgerConfig.Http(0, List.of(key), base.http().maxBodyBytes(), true, 0),
                base.dashboard(), base.pricing(), base.recorder(), base.writer(), base.workers(), base.jobRunrPoll(),
                base.budgets(), base.clickHouseTopology());
        progress.step("starting the service");
        try (Ledger ledger = Ledger.open(config, Ledger.Mode.WORKER); HttpApi api = HttpApi.start(ledger)) {
            Budgets budgets = ledger.budgets();
            for (int i = 0; i < BUDGETS; i++) {
                String ws = "ws-" + (i % 20);
                Budget b = switch (i % 4) {
                    case 0 -> budget("ws-" + i, ws, null, null, null);
                    case 1 -> budget("user-" + i, ws, "user-" + i, null, null);
                    case 2 -> budget("agent-" + i, ws, null, BenchTraffic.AGENTS[i % BenchTraffic.AGENTS.length], null);
                    default -> budget("family-" + i, ws, null, null, "gpt-4o");
                };
                budgets.store().put(b);
            }
            budgets.store().put(budget("probe", PROBE_WORKSPACE, PROBE_USER, null, null));
            long seen = budgets.refreshes();
            awaitRefresh(budgets, seen);
            details.put("budgets", BUDGETS + 1);
            details.put("refresh_interval_ms", config.budgets().refreshInterval().toMillis());

            progress.step("in-process check");
            Latencies check = new Latencies();
            SplittableRandom r = new SplittableRandom(7);
            int checks = ctx.count(50_000, 1_000_000);
            long sink = 0;
            for (int i = -checks / 5; i < checks; i++) { // a fifth as warm-up
                String ws = "ws-" + r.nextInt(20);
                String user = "user-" + r.nextInt(100);
                long t0 = System.nanoTime();
                Budgets.Check c = budgets.check(ws, user, BenchTraffic.AGENTS[r.nextInt(BenchTraffic.AGENTS.length)],
                        "gpt-4o-mini");
                long t1 = System.nanoTime();
                sink += c.budgets().size();
                if (i >= 0) {
                    check.record(t1 - t0);
                }
            }
            details.put("check_us", check.summary("us"));
            details.put("check_budgets_seen", sink);

            progress.step("HTTP check");
            Latencies http = new Latencies();
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            int calls = ctx.count(500, 10_000);
            for (int i = -calls / 5; i < calls; i++) {
                URI uri = api.url().resolve("/v1/budgets/check?workspace=ws-" + r.nextInt(20) + "&user=user-"
                        + r.nextInt(100) + "&model=gpt-4o-mini");
                HttpRequest req = HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + key).GET().build();
                long t0 = System.nanoTime();
                HttpResponse<String> resp = client.send(req, HttpResponse.BodyHandlers.ofString());
                long t1 = System.nanoTime();
                if (resp.statusCode() != 200) {
                    throw new IllegalStateException("GET /v1/budgets/check answered " + resp.statusCode() + ": "
                            + resp.body());
                }
                if (i >= 0) {
                    http.record(t1 - t0);
                }
            }
            details.put("http_check_ms", http.summary("ms"));

            progress.step("lag, idle");
            Latencies idle = new Latencies();
            int probes = ctx.count(5, 30);
            for (int i = 0; i < probes; i++) {
                idle.record(probe(ledger, i));
            }
            details.put("lag_idle_ms", idle.summary("ms"));
            details.put("last_refresh_idle_ms", budgets.lastRefreshTook().toMillis());

            Latencies loaded = new Latencies();
            Duration window = ctx.duration(Duration.ofSeconds(8), Duration.ofSeconds(60));
            try (PipelineLoad load = new PipelineLoad(32, 1, ledger.recorder()::record, ledger.clickHouse(), 200_000,
                    LOAD, true, 11)) {
                progress.step("lag under " + LOAD + " events/s: warm-up");
                Thread.sleep(ctx.quick() ? 1_000 : 5_000);
                progress.step("lag under " + LOAD + " events/s", () -> loaded.count() + " probes, p99 "
                        + Math.round(loaded.percentileMillis(99)) + " ms");
                long end = System.nanoTime() + window.toNanos();
                int i = probes;
                while (System.nanoTime() < end) {
                    loaded.record(probe(ledger, i++));
                }
                details.put("lag_under_load_ms", loaded.summary("ms"));
                details.put("last_refresh_under_load_ms", budgets.lastRefreshTook().toMillis());
                details.put("load_events_recorded", load.recorded());
            }
            details.put("method", "check: System.nanoTime() around each call, random workspace/user/agent among "
                    + BUDGETS + " budgets; HTTP: one client, sequential, HTTP/1.1 keep-alive on localhost; lag: one"
                    + " probe call at a time by a user with its own budget, the check polled every millisecond"
                    + " until its spend grows");
        }
        result.detail("budgets", details);
        result.add(Figure.of("check_p99_us", "in-process check: p99 (p50 " + check(details, "check_us", "p50")
                        + " us)", check(details, "check_us", "p99"), "us", Figure.Better.LOWER)
                .target(Figure.Target.below(TARGET_CHECK_P99_US)));
        result.add(Figure.of("http_check_p99_ms", "HTTP check: p99 (p50 " + check(details, "http_check_ms", "p50")
                        + " ms)", check(details, "http_check_ms", "p99"), "ms", Figure.Better.LOWER)
                .target(Figure.Target.below(TARGET_HTTP_P99_MS)));
        result.add(Figure.of("lag_idle_p99_ms", "budget lag idle: p99 (p50 " + check(details, "lag_idle_ms", "p50")
                + " ms)", check(details, "lag_idle_ms", "p99"), "ms", Figure.Better.LOWER));
        result.add(Figure.of("lag_load_p99_ms", "budget lag under " + LOAD / 1000 + "k events/s: p99 (p50 "
                        + check(details, "lag_under_load_ms", "p50") + " ms)", check(details, "lag_under_load_ms",
                        "p99"), "ms", Figure.Better.LOWER));
    }

    @SuppressWarnings("unchecked")
    private static double check(Map<String, Object> details, String key, String p) {
        return ((Number) ((Map<String, Object>) details.get(key)).get(p)).doubleValue();
    }

    private static Budget budget(String name, String ws, String user, String agent, String model) {
        return new Budget(name, ws, user, agent, model, Budget.Period.MONTH, null, new BigDecimal("1000000000"),
                null, true, null);
    }

    private static void awaitRefresh(Budgets budgets, long after) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (budgets.refreshes() <= after + 1) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("budgets were not refreshed within 30 s");
            }
            Thread.sleep(10);
        }
    }

    /** Records one probe call and polls the check until its spend grows; answers the lag in nanoseconds. */
    private static long probe(Ledger ledger, int i) throws InterruptedException {
        Budgets budgets = ledger.budgets();
        BigDecimal before = spend(budgets);
        UsageEvent e = UsageEvent.builder().eventId(UUID.randomUUID())
                .eventTime(Instant.now().truncatedTo(ChronoUnit.MILLIS)).userId(PROBE_USER)
                .workspaceId(PROBE_WORKSPACE).conversationId(UUID.randomUUID()).messageId("probe-" + i)
                .agentId("planner").agentDbId("1").model("gpt-4o").provider("openai").promptTokens(1_000)
                .completionTokens(200).callSequence(i % 1000).turnId("turn-" + i).sessionId("probe").build();
        ledger.recorder().record(List.of(e));
        long recorded = System.nanoTime();
        long deadline = recorded + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (spend(budgets).compareTo(before) > 0) {
                return System.nanoTime() - recorded;
            }
            Thread.sleep(1);
        }
        throw new IllegalStateException("the probe's cost did not reach the budget check within 60 s");
    }

    private static BigDecimal spend(Budgets budgets) {
        return budgets.check(PROBE_WORKSPACE, PROBE_USER, "planner", "gpt-4o").tightest()
                .map(Budgets.Status::spendUsd).orElse(BigDecimal.ZERO);
    }
}
