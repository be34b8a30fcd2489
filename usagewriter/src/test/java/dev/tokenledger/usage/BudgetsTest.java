package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Budgets: spend from the ledger's rollups, a check answered from memory, alerts fired once per period. */
class BudgetsTest {
    private static final String SECRET = "whsec-test-only";
    private static PostgresDatabase postgres;
    private static ClickHouse clickHouse;

    @BeforeAll
    static void start() {
        postgres = TestPostgres.freshDatabase("budgets");
        clickHouse = TestClickHouse.embedded("budgets");
    }

    @AfterAll
    static void stop() {
        clickHouse.close();
        postgres.close();
    }

    private static TokenLedger ledger() {
        return TokenLedger.builder().postgres(postgres.dataSource()).clickHouse(clickHouse)
                .budgets(BudgetSettings.DEFAULTS.withRefreshInterval(Duration.ofMillis(100)).withWebhookSecret(SECRET))
                .build().start();
    }

    private static Budget budget(String name, String workspace, String model, BigDecimal limit, URI webhook) {
        return new Budget(name, workspace, null, null, model, Budget.Period.MONTH, ZoneOffset.UTC, limit, null, true,
                webhook);
    }

    private static UsageEvent event(String workspace, String model) {
        return TestEvents.event().workspaceId(workspace).model(model).eventTime(Instant.now()).build();
    }

    @Test
    void aBudgetsCheckReflectsRecordedSpendAndUnpricedCallsAndSaysStopAtAHardLimit() {
        try (TokenLedger ledger = ledger()) {
            ledger.budgets().store().put(budget("ws-check-family", "ws-check", "gpt-4o", new BigDecimal("1000"), null));
            ledger.budgets().store().put(budget("ws-check", "ws-check", null, new BigDecimal("1000"), null));
            // A month in Kolkata starts at 18:30 UTC: its partial UTC days are read from llm_usage, not the rollup.
            ledger.budgets().store().put(new Budget("ws-check-kolkata", "ws-check", null, null, null,
                    Budget.Period.MONTH, ZoneId.of("Asia/Kolkata"), new BigDecimal("1000"), null, false, null));
            ledger.recorder().record(event("ws-check", "gpt-4o-mini"), event("ws-check", "no-such-model-xyz"));
            TestPipeline.await(() -> {
                        List<Budgets.Status> seen = ledger.budgets().check("ws-check", "user-1", "planner",
                                "gpt-4o-mini").budgets();
                        return seen.size() == 3 && seen.stream().allMatch(s -> s.spendUsd().signum() > 0);
                    },
                    Duration.ofSeconds(60), () -> "spend not seen: " + ledger.budgets().statuses());
            TestPipeline.await(() -> ledger.budgets().status("ws-check").map(s -> s.unpricedEvents() == 1).orElse(false),
                    Duration.ofSeconds(30), () -> "unpriced call not counted: " + ledger.budgets().statuses());

            Budgets.Check check = ledger.budgets().check("ws-check", "user-1", "planner", "gpt-4o-mini");
            assertThat(check.allowed()).isTrue();
            assertThat(check.budgets()).extracting(s -> s.budget().name())
                    .containsExactlyInAnyOrder("ws-check", "ws-check-family", "ws-check-kolkata");
            Budgets.Status family = ledger.budgets().status("ws-check-family").orElseThrow();
            assertThat(family.unpricedEvents()).as("the unpriced call is not a gpt-4o model").isZero();
            Budgets.Status all = ledger.budgets().status("ws-check").orElseThrow();
            assertThat(all.spendUsd()).as("the unpriced call adds nothing to spend, and is counted apart")
                    .isEqualByComparingTo(family.spendUsd());
            Budgets.Status kolkata = ledger.budgets().status("ws-check-kolkata").orElseThrow();
            assertThat(kolkata.spendUsd()).as("the same calls, counted exactly across the zone's partial days")
                    .isEqualTo(all.spendUsd());
            assertThat(kolkata.unpricedEvents()).isEqualTo(1);
            assertThat(kolkata.periodStart()).isEqualTo(kolkata.budget().window(Instant.now()).start());
            assertThat(all.resetsAt()).isEqualTo(all.budget().window(Instant.now()).end());
            assertThat(ledger.budgets().check("ws-check", "user-1", "planner", "claude-3").budgets())
                    .as("a model-family budget covers only its family").extracting(s -> s.budget().name())
                    .containsExactlyInAnyOrder("ws-check", "ws-check-kolkata");
            assertThat(ledger.budgets().check("ws-other", "user-1", null, null)).isEqualTo(
                    new Budgets.Check(true, List.of()));

            ledger.budgets().store().put(budget("ws-check", "ws-check", null, new BigDecimal("0.000001"), null));
            TestPipeline.await(() -> !ledger.budgets().check("ws-check", "user-1", "planner", "claude-3").allowed(),
                    Duration.ofSeconds(10), () -> "the hard limit does not stop: " + ledger.budgets().statuses());
            Budgets.Status over = ledger.budgets().check("ws-check", null, null, null).tightest().orElseThrow();
            assertThat(over.over()).isTrue();
            assertThat(over.remainingUsd()).isEqualByComparingTo("0");
        }
    }

    @Test
    void eachThresholdCrossedUnderConcurrentRecordingIsDeliveredExactlyOnceAcrossTwoLedgersAndARestart()
            throws Exception {
        List<String> delivered = Collections.synchronizedList(new ArrayList<>());
        List<Boolean> signaturesValid = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger failuresLeft = new AtomicInteger(2);
        AtomicInteger requests = new AtomicInteger();
        HttpServer webhook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        webhook.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            requests.incrementAndGet();
            if (failuresLeft.getAndDecrement() > 0) {
                exchange.sendResponseHeaders(503, -1); // the receiver is down for a while
                exchange.close();
                return;
            }
            String presented = exchange.getRequestHeaders().getFirst(BudgetAlertJob.SIGNATURE_HEADER);
            String expected = BudgetAlertJob.signature(SECRET, body);
            signaturesValid.add(presented != null && MessageDigest.isEqual(
                    presented.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8)));
            delivered.add(new String(body, StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        webhook.start();
        URI hook = URI.create("http://127.0.0.1:" + webhook.getAddress().getPort() + "/hook");
        try {
            TokenLedger a = ledger();
            try (TokenLedger b = ledger()) {
                // One call's cost, so that the thresholds fall at 5, 8 and 10 calls.
                a.recorder().record(event("ws-alerts-probe", "gpt-4o"));
                a.budgets().store().put(budget("probe", "ws-alerts-probe", null, new BigDecimal("1000"), null));
                TestPipeline.await(() -> a.budgets().status("probe").map(s -> s.spendUsd().signum() > 0).orElse(false),
                        Duration.ofSeconds(60), () -> "probe spend not seen");
                BigDecimal one = a.budgets().status("probe").orElseThrow().spendUsd();
                b.budgets().store().put(budget("alerts", "ws-alerts", null, one.multiply(BigDecimal.TEN), hook));

                List<CompletableFuture<?>> writers = new ArrayList<>();
                for (TokenLedger l : List.of(a, b)) {
                    for (int t = 0; t < 3; t++) {
                        writers.add(CompletableFuture.runAsync(() -> {
                            for (int i = 0; i < 4; i++) {
                                l.recorder().record(event("ws-alerts", "gpt-4o"));
                            }
                        }));
                    }
                }
                CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).join();
                TestPipeline.await(() -> alertRows("alerts") == 3, Duration.ofSeconds(60),
                        () -> "alerts fired: " + alertRows("alerts") + "; " + b.budgets().status("alerts"));
                a.close(); // a restart of one of them while deliveries are pending
            }
            try (TokenLedger restarted = ledger()) {
                long seen = restarted.budgets().refreshes();
                TestPipeline.await(() -> delivered.size() >= 3 && restarted.budgets().refreshes() > seen + 5,
                        Duration.ofSeconds(120), () -> delivered.size() + " delivered of 3, " + requests + " requests");
                TestPipeline.await(() -> undelivered("alerts") == 0, Duration.ofSeconds(10), () -> "not marked");
                assertThat(alertRows("alerts")).as("one row per threshold, whatever the processes").isEqualTo(3);
            }
            assertThat(delivered).hasSize(3);
            assertThat(signaturesValid).containsOnly(true);
            assertThat(requests.get()).as("the two failures were retried").isEqualTo(5);
            List<String> thresholds = delivered.stream().map(d -> field(d, "threshold")).sorted().toList();
            assertThat(thresholds).containsExactly("0.5", "0.8", "1");
            assertThat(delivered.stream().map(d -> field(d, "alert_id")).distinct()).hasSize(3);
            assertThat(delivered).allSatisfy(d -> assertThat(d).contains("\"budget\":\"alerts\"",
                    "\"workspace\":\"ws-alerts\"", "\"unpriced_events\":0"));
        } finally {
            webhook.stop(0);
        }
    }

    @Test
    void aPeriodInAnotherTimeZoneStartsAtThatZonesMidnightAndWeeksStartOnMonday() {
        Budget week = new Budget("w", "ws", null, null, null, Budget.Period.WEEK, ZoneId.of("Asia/Kolkata"),
                BigDecimal.ONE, null, false, null);
        Budget.Window w = week.window(Instant.parse("2026-12-06T20:00:00Z")); // Monday 01:30 in Kolkata
        assertThat(w.start()).isEqualTo(Instant.parse("2026-12-06T18:30:00Z"));
        assertThat(w.end()).isEqualTo(Instant.parse("2026-12-13T18:30:00Z"));
        Budget month = new Budget("m", "ws", null, null, null, Budget.Period.MONTH, null, BigDecimal.ONE, null, true,
                null);
        assertThat(month.window(Instant.parse("2026-02-10T00:00:00Z")))
                .isEqualTo(new Budget.Window(Instant.parse("2026-02-01T00:00:00Z"), Instant.parse("2026-03-01T00:00:00Z")));
        assertThat(month.thresholds()).extracting(BigDecimal::toPlainString).containsExactly("0.5", "0.8", "1");
    }

    @Test
    void anInvalidBudgetIsRefusedNamingTheField() {
        assertThatThrownBy(() -> budget("Bad Name", "ws", null, BigDecimal.ONE, null))
                .isInstanceOfSatisfying(InvalidBudgetException.class, e -> assertThat(e.field()).isEqualTo("name"));
        assertThatThrownBy(() -> budget("b", "ws", null, new BigDecimal("-1"), null))
                .isInstanceOfSatisfying(InvalidBudgetException.class, e -> assertThat(e.field()).isEqualTo("limit_usd"));
        assertThatThrownBy(() -> new Budget("b", "ws", "u", "a", null, Budget.Period.DAY, null, BigDecimal.ONE, null,
                true, null)).isInstanceOfSatisfying(InvalidBudgetException.class,
                e -> assertThat(e.getMessage()).contains("at most one of user, agent, model"));
        assertThatThrownBy(() -> Budget.zone("Mars/Olympus")).isInstanceOfSatisfying(InvalidBudgetException.class,
                e -> assertThat(e.field()).isEqualTo("time_zone"));
        assertThatThrownBy(() -> budget("b", "ws", null, BigDecimal.ONE, URI.create("ftp://x/y")))
                .isInstanceOfSatisfying(InvalidBudgetException.class,
                        e -> assertThat(e.field()).isEqualTo("webhook_url"));
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : null;
    }

    private static long alertRows(String budget) {
        return count("SELECT count(*) FROM budget_alert WHERE budget_name = '" + budget + "'");
    }

    private static long undelivered(String budget) {
        return count("SELECT count(*) FROM budget_alert WHERE budget_name = '" + budget + "' AND delivered_at IS NULL");
    }

    private static long count(String sql) {
        try (Connection c = postgres.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
