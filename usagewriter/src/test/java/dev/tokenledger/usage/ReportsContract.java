package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Reports are answered from llm_usage_daily's aggregate projections (V9) when one holds the columns a report filters
 * and groups by, and the answer is the same to the last digit as from the rollup's own rows and from the raw table:
 * over many parts, after merges, with corrections, for every grouping and filter.
 */
abstract class ReportsContract {
    private static final String[] MODELS = {"gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro", "unknown-model-x"};
    private static final String[] PROVIDERS = {"openai", "anthropic", "google", "acme"};
    private static final String[] AGENTS = {"planner", "coder", "reviewer"};

    private PostgresDatabase postgres;
    private ClickHouse clickHouse;
    private TestPipeline pipeline;
    private LocalDate today;

    abstract ClickHouse clickHouse(String testName);

    @BeforeEach
    void start(TestInfo test) {
        String name = test.getTestMethod().orElseThrow().getName();
        postgres = TestPostgres.freshDatabase(name);
        clickHouse = clickHouse(name);
        pipeline = TestPipeline.manual(postgres, clickHouse, WriterSettings.DEFAULTS.withMaxBatchEvents(40));
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        recordAndWrite(now);
    }

    @AfterEach
    void stop() {
        pipeline.close();
        clickHouse.close();
        postgres.close();
    }

    @Test
    void everyReportGivesTheSameAnswerToTheLastDigitWithAndWithoutProjectionsAndFromTheRawTable() {
        correctSomeCosts();
        assertEveryReportAgrees();
    }

    @Test
    void mergedPartsRebuildTheirProjectionsAndTheAnswersStayTheSame() {
        correctSomeCosts();
        clickHouse.execute("OPTIMIZE TABLE llm_usage_daily FINAL");
        assertThat(clickHouse.query("SELECT count() AS n FROM system.projection_parts WHERE database = currentDatabase()"
                + " AND table = 'llm_usage_daily' AND active").getFirst().int64("n"))
                .as("each merged part keeps its four projections").isEqualTo(4L * activeParts());
        assertEveryReportAgrees();
    }

    @Test
    void reportsAreServedByAProjectionWhenOneHoldsTheirColumns() {
        Reports forced = new Reports(clickHouse.withQuerySettings("force_optimize_projection = 1"));
        LocalDate from = today.minusDays(45);
        for (Reports.By by : List.of(Reports.By.USER, Reports.By.WORKSPACE, Reports.By.MODEL, Reports.By.AGENT,
                Reports.By.DAY, Reports.By.PROVIDER)) {
            for (Reports.Query q : List.of(query(by, from, null, null, null),
                    query(by, from, "ws-1", null, null),
                    query(by, from, null, null, null).withinWorkspaces(Set.of("ws-0", "ws-2")))) {
                assertThatCode(() -> forced.run(q, Reports.Source.ROLLUP)).as("%s", q).doesNotThrowAnyException();
            }
        }
        assertThatCode(() -> forced.run(query(Reports.By.MODEL, from, null, null, "gpt-4o"), Reports.Source.ROLLUP))
                .doesNotThrowAnyException();
        assertThatCode(() -> forced.run(query(Reports.By.DAY, from, null, "u-2", null), Reports.Source.ROLLUP))
                .doesNotThrowAnyException();
    }

    // ---- fixtures -------------------------------------------------------------------------------------------

    /**
     * 360 calls by 7 users in 3 workspaces (one user in two), 3 agents, 4 models (one unpriced), on 6 days over two
     * months, written in batches of 40: many parts in the rollup, each with its projections.
     */
    private void recordAndWrite(Instant now) {
        int[] daysBack = {0, 1, 2, 9, 35, 40};
        List<UsageEvent> events = new ArrayList<>();
        for (int i = 0; i < 360; i++) {
            int user = i % 7;
            int model = (i / 7) % MODELS.length;
            String workspace = user == 3 && i % 2 == 0 ? "ws-2" : "ws-" + user % 3;
            Instant t = now.minus(Duration.ofDays(daysBack[i % daysBack.length])).minusSeconds(60).plusMillis(i);
            events.add(TestEvents.event().eventTime(t).userId("u-" + user).workspaceId(workspace)
                    .agentId(AGENTS[(i / 3) % AGENTS.length]).model(MODELS[model]).provider(PROVIDERS[model])
                    .promptTokens(1_000 + 37 * i).cachedTokens(i % 200).completionTokens(10 + 13 * i).build());
        }
        assertThat(pipeline.recorder.record(events)).extracting(RecordResult::status)
                .containsOnly(RecordResult.Status.ACCEPTED);
        pipeline.writer.sealReady();
        for (long id : batchIds()) {
            pipeline.writer.job().run(new UsageWriteRequestV1(id));
        }
        assertThat(pipeline.rawCount()).isEqualTo(events.size());
    }

    /** Corrections of a third of the calls (as a reprice run appends them), which a view adds into the rollup. */
    private void correctSomeCosts() {
        clickHouse.execute("""
                INSERT INTO llm_usage_adjustment (event_id, event_time, user_id, workspace_id, agent_id, model, provider,
                    session_id, service_tier, unpriced_delta, output_cost, cost_usd, cost_status, run_id, adjusted_at)
                SELECT event_id, event_time, user_id, workspace_id, agent_id, model, provider, session_id, service_tier,
                    if(cost_status = 'unpriced', -1, 0), toDecimal128('0.000000731001', 12) * completion_tokens,
                    toDecimal128('0.000000731001', 12) * completion_tokens, 'priced', 1, now64(3)
                FROM llm_usage WHERE cityHash64(event_id) % 3 = 0""");
    }

    private void assertEveryReportAgrees() {
        Reports reports = new Reports(clickHouse);
        Reports withoutProjections = new Reports(clickHouse.withQuerySettings("optimize_use_projections = 0"));
        int compared = 0;
        for (LocalDate from : List.of(today.minusDays(45), today.minusDays(1))) {
            for (Reports.By by : List.of(Reports.By.USER, Reports.By.WORKSPACE, Reports.By.MODEL, Reports.By.AGENT,
                    Reports.By.DAY, Reports.By.PROVIDER)) {
                List<Reports.Query> queries = List.of(query(by, from, null, null, null),
                        query(by, from, "ws-1", null, null), query(by, from, null, "u-3", null),
                        query(by, from, null, null, "claude-sonnet-4-5"), query(by, from, "ws-2", "u-3", null),
                        query(by, from, null, null, null).withinWorkspaces(Set.of("ws-0", "ws-2")));
                for (Reports.Query q : queries) {
                    for (Reports.Query asked : List.of(q, q.asWritten(true))) {
                        List<Reports.Line> answer = reports.run(asked, Reports.Source.ROLLUP).lines();
                        assertThat(answer).as("%s: rollup with projections", asked).isNotEmpty()
                                .isEqualTo(withoutProjections.run(asked, Reports.Source.ROLLUP).lines())
                                .isEqualTo(reports.run(asked, Reports.Source.RAW).lines());
                        compared++;
                    }
                }
                if (by != Reports.By.DAY) {
                    Reports.Query q = query(Reports.By.DAY, from, null, null, null);
                    assertThat(reports.timeSeries(q, by).points())
                            .isEqualTo(withoutProjections.timeSeries(q, by).points());
                }
            }
        }
        assertThat(compared).isEqualTo(2 * 6 * 6 * 2);
    }

    private Reports.Query query(Reports.By by, LocalDate from, String workspace, String user, String model) {
        return new Reports.Query(by, from, today, workspace, user, model, 100);
    }

    private long activeParts() {
        return clickHouse.query("SELECT count() AS n FROM system.parts WHERE database = currentDatabase()"
                + " AND table = 'llm_usage_daily' AND active").getFirst().int64("n");
    }

    private List<Long> batchIds() {
        List<Long> ids = new ArrayList<>();
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT batch_id FROM usage_batch ORDER BY batch_id")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return ids;
    }
}
