package dev.tokenledger.usage.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.usage.EraseProcess;
import dev.tokenledger.usage.Eraser;
import dev.tokenledger.usage.FixedRatePricer;
import dev.tokenledger.usage.ReconcileReport;
import dev.tokenledger.usage.RepriceRequest;
import dev.tokenledger.usage.Repricer;
import dev.tokenledger.usage.TestEvents;
import dev.tokenledger.usage.TestPipeline;
import dev.tokenledger.usage.TestWiring;
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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Scenario "erase-kill": an erasure of a user with written, corrected and pending usage over three months, in a JVM
 * of its own, SIGKILLed right after each kind of step (counted, deleted in ClickHouse, rollups rebuilt) and started
 * again each time. When it finally ends it has removed exactly what a dry run said before it started, nothing of the
 * user is left, every other user's figures are what they were, and reconcile is clean: the state an uninterrupted
 * erasure ends in.
 */
@Execution(ExecutionMode.CONCURRENT)
@Tag(Chaos.TAG)
@Tag("chaos-erase-kill")
class EraseKillChaosTest {
    private static final String USER = "leaver";

    @Test
    void anErasureKilledAfterEachStepAndResumedEndsAsAnUninterruptedOne() {
        int perMonth = Chaos.pick(300, 5_000);
        Path data = Path.of("target", "chaos", "erase-kill-" + System.currentTimeMillis());
        try (ClickHouseProcess server = ClickHouseProcess.start("erase-kill", data);
             PostgresDatabase postgres = TestPostgres.freshDatabase("chaos_erase_kill")) {
            ServerClickHouse.Settings settings = server.migratedDatabase("chaos_erase_kill");
            try (ServerClickHouse clickHouse = ServerClickHouse.open(settings)) {
                TestPipeline pipeline = TestPipeline.manual(postgres, clickHouse,
                        WriterSettings.DEFAULTS.withMaxBatchEvents(5_000));
                try {
                    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
                    List<UsageEvent> events = new ArrayList<>();
                    for (int m = 0; m < 3; m++) {
                        for (int i = 0; i < perMonth; i++) {
                            events.add(TestEvents.event().eventTime(now.minus(Duration.ofDays(35L * m)).minusSeconds(i))
                                    .userId(i % 5 == 0 ? USER : "u-" + (i % 7)).promptTokens(500 + i)
                                    .completionTokens(50 + i % 300).build());
                        }
                    }
                    pipeline.recorder.record(events);
                    pipeline.writer.sealReady();
                    for (long id = 1; pipeline.rawCount() < events.size(); id++) {
                        pipeline.writer.job().run(new UsageWriteRequestV1(id));
                    }
                    LocalDate today = LocalDate.now(ZoneOffset.UTC);
                    Repricer repricer = TestWiring.repricer(postgres.dataSource(), clickHouse,
                            new FixedRatePricer(new BigDecimal("1.21")));
                    repricer.run(repricer.start(new RepriceRequest(today.minusDays(80), today, List.of(), false, null,
                            "chaos", "chaos")).runId(), n -> { });
                    pipeline.recorder.record(List.of(TestEvents.event().userId(USER).build(),
                            TestEvents.event().userId(USER).eventTime(now.minus(Duration.ofDays(35))).build()));

                    Eraser eraser = TestWiring.eraser(postgres.dataSource(), clickHouse);
                    Eraser.Request request = new Eraser.Request(USER, null, "chaos", "chaos");
                    String othersBefore = others(clickHouse);
                    Eraser.Summary expected = eraser.dryRun(request);
                    List<Integer> months = expected.months();
                    assertThat(months).hasSize(3);
                    long erasureId = eraser.start(request).erasureId();

                    long started = System.nanoTime();
                    List<String> kills = List.of("counted " + months.get(0), "deleted " + months.get(0),
                            "rebuilt " + months.get(1), "counted " + months.get(2), "deleted " + months.get(2));
                    int generation = 0;
                    for (String at : kills) {
                        ChildJvm child = start(postgres, settings, erasureId, at, ++generation);
                        assertThat(child.awaitExit(Duration.ofMinutes(3))).as("killed at " + at).isNotZero();
                    }
                    ChildJvm last = start(postgres, settings, erasureId, "none", ++generation);
                    assertThat(last.awaitExit(Duration.ofMinutes(5))).as("the last run finishes").isZero();
                    Duration took = Duration.ofNanos(System.nanoTime() - started);

                    Eraser.Erasure done = eraser.find(erasureId).orElseThrow();
                    long left = clickHouse.query("SELECT (SELECT count() FROM llm_usage WHERE user_id = {u:String})"
                            + " + (SELECT count() FROM llm_usage_adjustment WHERE user_id = {u:String})"
                            + " + (SELECT count() FROM llm_usage_daily WHERE user_id = {u:String}) AS n",
                            Map.of("u", USER)).getFirst().int64("n");
                    ReconcileReport report = pipeline.reconciler.reconcile(today.minusDays(80), today);
                    System.out.println("[chaos] erase-kill: " + done.removed() + " after " + kills.size()
                            + " kills in " + took.toSeconds() + " s; reconcile "
                            + (report.clean() ? "clean" : "NOT CLEAN " + report.differences()));
                    assertThat(done.status()).isEqualTo("done");
                    assertThat(done.removed()).as("what an uninterrupted erasure removes").isEqualTo(expected);
                    assertThat(left).as("rows of the user left").isZero();
                    assertThat(others(clickHouse)).isEqualTo(othersBefore);
                    assertThat(report.differences()).isEmpty();
                    assertThat(eraser.run(erasureId)).as("running it again changes nothing").isEqualTo(done);
                } finally {
                    pipeline.close();
                }
            }
        }
    }

    private static String others(ServerClickHouse clickHouse) {
        StringBuilder out = new StringBuilder();
        for (String sql : List.of("SELECT user_id, count() AS n, sum(total_tokens) AS t, sum(cost_usd) AS c FROM llm_usage"
                        + " WHERE user_id != {u:String} GROUP BY user_id ORDER BY user_id",
                "SELECT user_id, count() AS n, sum(cost_usd) AS c FROM llm_usage_adjustment WHERE user_id != {u:String}"
                        + " GROUP BY user_id ORDER BY user_id",
                "SELECT user_id, sum(events) AS n, sum(total_tokens) AS t, sum(cost_usd) AS c FROM llm_usage_daily"
                        + " WHERE user_id != {u:String} GROUP BY user_id ORDER BY user_id")) {
            clickHouse.query(sql, Map.of("u", USER)).forEach(r -> out.append(r.values()).append('\n'));
        }
        return out.toString();
    }

    private static ChildJvm start(PostgresDatabase postgres, ServerClickHouse.Settings ch, long erasureId, String killAt,
                                  int generation) {
        return ChildJvm.start("erase-kill-" + generation, EraseProcess.class, List.of("-Xmx512m"),
                List.of(postgres.jdbcUrl(), ch.endpoint(), ch.database(), Long.toString(erasureId), killAt),
                Duration.ofSeconds(60));
    }
}
