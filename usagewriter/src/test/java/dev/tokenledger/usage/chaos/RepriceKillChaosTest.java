package dev.tokenledger.usage.chaos;

import dev.tokenledger.usage.TestWiring;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.usage.EventPricer;
import dev.tokenledger.usage.FixedRatePricer;
import dev.tokenledger.usage.ReconcileReport;
import dev.tokenledger.usage.RepriceProcess;
import dev.tokenledger.usage.RepriceRequest;
import dev.tokenledger.usage.Repricer;
import dev.tokenledger.usage.TestEvents;
import dev.tokenledger.usage.TestPipeline;
import dev.tokenledger.usage.UsageEvent;
import dev.tokenledger.usage.UsageWriteRequestV1;
import dev.tokenledger.usage.WriterSettings;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Scenario "reprice-kill": a reprice run over a month of written usage, in a JVM of its own, SIGKILLed at random
 * moments (between days, while a day is read, right after its insert) and started again each time. When it
 * finally ends, every event has exactly one adjustment from that run, the adjustments add up to the difference
 * between the new and the old prices to the last digit, PostgreSQL's record of the run matches ClickHouse, and
 * reconcile is clean.
 */
@Execution(ExecutionMode.CONCURRENT)
@Tag(Chaos.TAG)
@Tag("chaos-reprice-kill")
class RepriceKillChaosTest {
    private static final BigDecimal NEW_PRICES = new BigDecimal("1.37");

    @Test
    void aRepriceRunKilledAgainAndAgainAppendsEachAdjustmentExactlyOnce() {
        int kills = Chaos.pick(3, 15);
        int days = 30;
        int perDay = Chaos.pick(200, 2_000);
        Random random = Chaos.random("reprice-kill");
        Path data = Path.of("target", "chaos", "reprice-kill-" + System.currentTimeMillis());
        try (ClickHouseProcess server = ClickHouseProcess.start("reprice-kill", data);
             PostgresDatabase postgres = TestPostgres.freshDatabase("chaos_reprice_kill")) {
            ServerClickHouse.Settings settings = server.migratedDatabase("chaos_reprice_kill");
            try (ServerClickHouse clickHouse = ServerClickHouse.open(settings)) {
                TestPipeline pipeline = TestPipeline.manual(postgres, clickHouse,
                        WriterSettings.DEFAULTS.withMaxBatchEvents(5_000));
                List<UsageEvent> events = new ArrayList<>();
                try {
                    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
                    for (int d = 0; d < days; d++) {
                        List<UsageEvent> day = new ArrayList<>();
                        for (int i = 0; i < perDay; i++) {
                            day.add(TestEvents.event().eventTime(now.minus(Duration.ofDays(d)).minusSeconds(i))
                                    .userId("u-" + (i % 13)).promptTokens(500 + i).cachedTokens(i % 100)
                                    .completionTokens(50 + i % 400).build());
                        }
                        pipeline.recorder.record(day);
                        events.addAll(day);
                    }
                    pipeline.writer.sealReady();
                    for (long id = 1; pipeline.rawCount() < events.size(); id++) {
                        pipeline.writer.job().run(new UsageWriteRequestV1(id));
                    }
                    LocalDate today = LocalDate.now(ZoneOffset.UTC);
                    Repricer repricer = TestWiring.repricer(postgres.dataSource(), clickHouse,
                            new FixedRatePricer(NEW_PRICES));
                    long runId = repricer.start(new RepriceRequest(today.minusDays(days + 1), today, List.of(), false,
                            null, "chaos: prices × 1.37", "chaos")).runId();

                    long started = System.nanoTime();
                    for (int kill = 1; kill <= kills; kill++) {
                        ChildJvm child = start(postgres, settings, runId, kill);
                        Chaos.sleep(Chaos.between(random, Duration.ofMillis(200), Duration.ofMillis(2_500)));
                        child.kill();
                    }
                    ChildJvm last = start(postgres, settings, runId, kills + 1);
                    assertThat(last.awaitExit(Duration.ofMinutes(10))).as("the last run finishes").isZero();
                    Duration took = Duration.ofNanos(System.nanoTime() - started);

                    Repricer.Run run = repricer.find(runId).orElseThrow();
                    Row adjustments = clickHouse.query("SELECT count() AS n, uniqExact(event_id) AS events,"
                            + " sum(cost_usd) AS delta FROM llm_usage_adjustment WHERE run_id = {run:UInt64}",
                            Map.of("run", Long.toString(runId))).getFirst();
                    BigDecimal expected = BigDecimal.ZERO;
                    EventPricer before = new FixedRatePricer();
                    EventPricer after = new FixedRatePricer(NEW_PRICES);
                    for (UsageEvent e : events) {
                        expected = expected.add(after.price(e).total().subtract(before.price(e).total()));
                    }
                    ReconcileReport report = pipeline.reconciler.reconcile(today.minusDays(days + 1), today);
                    String summary = "events " + events.size() + ", adjustments " + adjustments.int64("n")
                            + " (distinct events " + adjustments.int64("events") + "), delta "
                            + adjustments.decimal("delta").toPlainString() + " (expected " + expected.toPlainString()
                            + "), run " + run.status() + " in " + run.chunksDone() + " chunk(s), reconcile "
                            + (report.clean() ? "clean" : "NOT CLEAN " + report.differences());
                    System.out.println("[chaos] reprice-kill: " + summary + "; " + kills + " kills, " + took.toSeconds()
                            + " s");
                    new ChaosReport("Reprice kill", events.size() + " written events over "
                            + days + " days, re-priced at 1.37× the rates", kills + "× SIGKILL of the reprice process,"
                            + " restarted each time", events.size(), adjustments.int64("events"), events.size()
                            - adjustments.int64("events"), adjustments.int64("n") - adjustments.int64("events"), took,
                            "accepted = events to adjust, written = events adjusted, lost = not adjusted, duplicated ="
                            + " adjustments beyond one per event; time = first start → run done").publish();
                    assertThat(run.status()).isEqualTo("done");
                    assertThat(adjustments.int64("n")).as("adjustments appended").isEqualTo(events.size());
                    assertThat(adjustments.int64("events")).as("one per event").isEqualTo(events.size());
                    assertThat(adjustments.decimal("delta")).isEqualByComparingTo(expected);
                    assertThat(run.eventsAdjusted()).isEqualTo(events.size());
                    assertThat(run.costAfter().subtract(run.costBefore())).isEqualByComparingTo(expected);
                    assertThat(report.differences()).isEmpty();
                    assertThat(report.clean()).isTrue();
                } finally {
                    pipeline.close();
                }
            }
        }
    }

    private static ChildJvm start(PostgresDatabase postgres, ServerClickHouse.Settings ch, long runId, int generation) {
        return ChildJvm.start("reprice-kill-" + generation, RepriceProcess.class, List.of("-Xmx512m"),
                List.of(postgres.jdbcUrl(), ch.endpoint(), ch.database(), Long.toString(runId), NEW_PRICES.toPlainString()),
                Duration.ofSeconds(60));
    }
}
