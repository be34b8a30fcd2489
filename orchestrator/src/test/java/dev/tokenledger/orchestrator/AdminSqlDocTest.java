package dev.tokenledger.orchestrator;

import dev.tokenledger.usage.TestWiring;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.pricing.AliasRequest;
import dev.tokenledger.pricing.OverrideRequest;
import dev.tokenledger.usage.RepriceRequest;
import dev.tokenledger.usage.Repricer;
import dev.tokenledger.usage.UsageWriter;
import dev.tokenledger.usage.WriterSettings;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/admin-sql.md cannot rot: every ```sql block in it runs, in the order written, against a real
 * PostgreSQL holding usage_write jobs in each JobRunr state (see {@link AdminSqlFixture}), and must
 * answer what its heading promises. A new block without a check here fails the test.
 */
class AdminSqlDocTest {
    static final Path DOC = Path.of("..", "docs", "admin-sql.md");
    private static final Pattern BLOCK = Pattern.compile("```sql\\n(.*?)```", Pattern.DOTALL);
    private static final String USAGE_WRITE =
            "dev.tokenledger.usage.UsageWriteJob.run(dev.tokenledger.usage.UsageWriteRequestV1)";

    private static PostgresDatabase postgres;
    private static ClickHouse clickHouse;
    private static Ledger ledger;
    private static AdminSqlFixture.Batches batches;

    /** What one query must answer; {@code before} prepares the database for it. */
    private record Check(Runnable before, RowsCheck rows) {
        static Check of(RowsCheck rows) {
            return new Check(() -> { }, rows);
        }
    }

    private interface RowsCheck {
        void verify(List<Map<String, Object>> rows) throws Exception;
    }

    private final Map<String, Check> checks = Map.ofEntries(
            Map.entry("Jobs by state and name", Check.of(rows -> {
                assertThat(rows).extracting(r -> r.get("state") + " " + r.get("job")).contains("ENQUEUED usage_write",
                        "SCHEDULED usage_write", "PROCESSING usage_write", "SUCCEEDED usage_write", "FAILED usage_write");
                assertThat(rows).filteredOn(r -> r.get("state").equals("FAILED")).singleElement()
                        .satisfies(r -> assertThat(r.get("jobs")).isEqualTo(2L));
            })),
            Map.entry("The oldest usage_write jobs waiting to run", Check.of(rows -> {
                assertThat(rows).extracting(r -> r.get("state")).containsExactly("ENQUEUED", "SCHEDULED");
                assertThat(rows.get(1).get("runs_at_utc")).isNotNull();
                assertThat(rows.get(0).get("job").toString()).startsWith("usage_write batch " + batches.enqueued() + ":");
            })),
            Map.entry("FAILED usage_write jobs with their last exception", Check.of(rows -> {
                assertThat(rows).extracting(r -> r.get("batch_id"))
                        .containsExactlyInAnyOrder(batches.failed(), batches.failedTwice());
                assertThat(rows).allSatisfy(r -> {
                    assertThat(r.get("exception")).isEqualTo("dev.tokenledger.clickhouse.ClickHouseException");
                    assertThat(r.get("message").toString()).contains("Memory limit");
                    assertThat(r.get("event_count")).isEqualTo(2);
                });
            })),
            Map.entry("Jobs processing for too long (orphans)", Check.of(rows -> {
                assertThat(rows).singleElement().satisfies(r -> {
                    assertThat(r.get("job").toString()).startsWith("usage_write batch " + batches.orphaned() + ":");
                    assertThat(r.get("server")).isEqualTo("admin-sql-test");
                    assertThat(r.get("server_last_heartbeat_utc")).as("its server is gone").isNull();
                });
            })),
            Map.entry("Retries so far", Check.of(rows -> {
                assertThat(rows).extracting(r -> r.get("failures")).containsExactly(2, 1, 1);
                assertThat(rows.getFirst().get("job").toString()).startsWith("usage_write batch " + batches.failedTwice() + ":");
                assertThat(rows).extracting(r -> r.get("state")).containsExactlyInAnyOrder("FAILED", "FAILED", "SCHEDULED");
                assertThat(rows).allSatisfy(r -> assertThat(r.get("retries_allowed")).isEqualTo(11));
            })),
            Map.entry("Backlog: events accepted but not yet in ClickHouse", Check.of(rows -> {
                assertThat(rows).extracting(r -> r.get("stage") + " " + r.get("events"))
                        .containsExactly("waiting for a batch 0", "sealed, not yet written 10");
            })),
            Map.entry("Unwritten batches with their attempts, last error and job", Check.of(rows -> {
                assertThat(rows).extracting(r -> r.get("batch_id") + " " + r.get("job_state")).containsExactly(
                        batches.enqueued() + " ENQUEUED", batches.scheduledRetry() + " SCHEDULED",
                        batches.orphaned() + " PROCESSING", batches.failed() + " FAILED",
                        batches.failedTwice() + " FAILED");
            })),
            Map.entry("Written per day (PostgreSQL's side of reconcile)", Check.of(rows -> {
                assertThat(rows).singleElement().satisfies(r -> {
                    assertThat(r.get("events")).isEqualTo(new BigDecimal(2));
                    assertThat((BigDecimal) r.get("cost_usd")).isPositive();
                });
            })),
            Map.entry("Unresolved dead letters", Check.of(rows -> assertThat(rows).singleElement()
                    .satisfies(r -> assertThat(r.get("clickhouse_code")).isEqualTo(53)))),
            Map.entry("Resolved dead letters (the audit)", new Check(
                    () -> ledger.deadLetters().discard(ledger.deadLetters().list(false, 10).getFirst().eventId(),
                            "a test row, not billable", "admin@cli"),
                    rows -> assertThat(rows).singleElement().satisfies(r -> {
                        assertThat(r.get("resolution")).isEqualTo("discarded");
                        assertThat(r.get("resolved_by")).isEqualTo("admin@cli");
                        assertThat(r.get("resolution_reason")).isEqualTo("a test row, not billable");
                    }))),
            Map.entry("Late duplicates", new Check(
                    () -> execute("INSERT INTO usage_duplicate (batch_id, event_id, event_time, original_batch, detected_at)"
                            + " VALUES (" + batches.succeeded() + ", gen_random_uuid(), now() - interval '30 days', "
                            + batches.enqueued() + ", now())"),
                    rows -> assertThat(rows).singleElement().satisfies(r -> {
                        assertThat(r.get("dropped_from_batch")).isEqualTo(batches.succeeded());
                        assertThat(r.get("written_by_batch")).isEqualTo(batches.enqueued());
                    }))),
            Map.entry("Rollup repairs", new Check(
                    () -> {
                        // A rollup row llm_usage does not hold; the repair rebuilds the month or says why not.
                        clickHouse.execute("INSERT INTO llm_usage_daily (day, workspace_id, events) VALUES ('"
                                + LocalDate.now(ZoneOffset.UTC) + "', 'stray', 1)");
                        ledger.rollupRepair().repairMonth(month(), "admin-sql-test");
                    },
                    rows -> assertThat(rows).singleElement().satisfies(r -> {
                        assertThat(r.get("month")).isEqualTo(month());
                        assertThat(r.get("requested_by")).isEqualTo("admin-sql-test");
                        assertThat(r.get("reason").toString()).contains("llm_usage_daily.events");
                        assertThat(r.get("outcome")).isNotNull();
                    }))),
            Map.entry("Reprice runs", new Check(
                    () -> {
                        // A negotiated gpt-4o price from an hour before the written events, corrected by a run.
                        ledger.pricing().setOverride(new OverrideRequest("gpt-4o", null,
                                Instant.now().minus(Duration.ofHours(1)), Map.of("input_cost_per_token",
                                new BigDecimal("0.0000021"), "cache_read_input_token_cost", new BigDecimal("0.00000105"),
                                "output_cost_per_token", new BigDecimal("0.0000087")), "contract"));
                        LocalDate today = LocalDate.now(ZoneOffset.UTC);
                        Repricer repricer = TestWiring.repricer(postgres.dataSource(), clickHouse, ledger.pricing());
                        repricer.run(repricer.start(new RepriceRequest(today, today, List.of("gpt-4o"), false, null,
                                "contract prices", "admin@cli")).runId(), day -> { });
                    },
                    rows -> assertThat(rows).singleElement().satisfies(r -> {
                        assertThat(r.get("status")).isEqualTo("done");
                        assertThat(r.get("requested_by")).isEqualTo("admin@cli");
                        assertThat(r.get("chunks")).isEqualTo(1L);
                        assertThat(r.get("chunks_done")).isEqualTo(1L);
                        assertThat(r.get("events_examined")).isEqualTo(new BigDecimal(2));
                        assertThat(r.get("events_adjusted")).isEqualTo(new BigDecimal(2));
                        assertThat(((BigDecimal) r.get("cost_after")).subtract((BigDecimal) r.get("cost_before")))
                                .isEqualByComparingTo("-0.00166");
                        assertThat(r.get("job_id")).as("run here, not queued").isNull();
                    }))),
            Map.entry("A reprice run's chunks", Check.of(rows -> assertThat(rows).singleElement().satisfies(r -> {
                assertThat(r.get("month")).isEqualTo(month());
                assertThat(r.get("seq")).as("a month's first chunk").isEqualTo(0);
                assertThat(r.get("last_user")).as("the chunk's key range is fixed").isNotNull();
                assertThat(r.get("attempts")).isEqualTo(1);
                assertThat(r.get("done_at")).isNotNull();
                assertThat(r.get("events_examined")).isEqualTo(2L);
                assertThat(r.get("events_adjusted")).isEqualTo(2L);
                assertThat(r.get("unpriced_after")).isEqualTo(r.get("unpriced_before"));
                assertThat(((BigDecimal) r.get("cost_after")).subtract((BigDecimal) r.get("cost_before")))
                        .isEqualByComparingTo("-0.00166");
            }))),
            Map.entry("Adjustments per day (PostgreSQL's side of reconcile)", Check.of(rows ->
                    assertThat(rows).singleElement().satisfies(r -> {
                        assertThat(r.get("chunk_days")).isEqualTo(1L);
                        assertThat(r.get("events_adjusted")).isEqualTo(new BigDecimal(2));
                        assertThat((BigDecimal) r.get("cost_usd")).isEqualByComparingTo("-0.00166");
                        assertThat((BigDecimal) r.get("input_cost")).isEqualByComparingTo("-0.0008");
                        assertThat((BigDecimal) r.get("cached_input_cost")).isEqualByComparingTo("-0.00008");
                        assertThat((BigDecimal) r.get("output_cost")).isEqualByComparingTo("-0.00078");
                        assertThat(ledger.reconciler().reconcile(LocalDate.now(ZoneOffset.UTC),
                                LocalDate.now(ZoneOffset.UTC)).differences()).as("ClickHouse agrees").isEmpty();
                    }))),
            Map.entry("Where the scheduled reconcile stands", Check.of(rows -> assertThat(rows).singleElement()
                    .satisfies(r -> {
                        assertThat(r.get("checked_through")).isEqualTo(0L);
                        assertThat(r.get("last_sealed_batch")).isEqualTo(batches.failedTwice());
                        assertThat(r.get("last_run_at")).as("no service ran the job").isNull();
                    }))),
            Map.entry("Which ledger this PostgreSQL belongs to", Check.of(rows -> assertThat(rows).singleElement()
                    .satisfies(r -> {
                        assertThat(r.get("installation_id")).isEqualTo(ledger.identity().postgresId());
                        assertThat(r.get("batches_under_it")).isEqualTo(6L);
                        assertThat(r.get("other_batches")).isEqualTo(0L);
                    }))),
            Map.entry("Last pricing refreshes", Check.of(rows -> assertThat(rows).first()
                    .satisfies(r -> assertThat(r.get("outcome")).isEqualTo("applied")))),
            Map.entry("The current price of a model", Check.of(rows -> assertThat(rows).singleElement()
                    .satisfies(r -> assertThat((BigDecimal) r.get("input_cost_per_token")).isPositive()))),
            Map.entry("Model name aliases", new Check(
                    // From an hour on: a time in the past would queue back-pricing, which other checks count.
                    () -> ledger.pricing().setAlias(new AliasRequest("azure-prod-gpt4o", "gpt-4o",
                            Instant.now().plus(Duration.ofHours(1)), "Azure deployment", "admin")),
                    rows -> assertThat(rows).singleElement().satisfies(r -> {
                        assertThat(r.get("alias")).isEqualTo("azure-prod-gpt4o");
                        assertThat(r.get("model_key")).isEqualTo("gpt-4o");
                        assertThat(r.get("valid_to")).isNull();
                    }))),
            Map.entry("Requeue FAILED usage_write jobs", Check.of(rows -> {
                assertThat(count("SELECT count(*) FROM jobrunr_jobs WHERE state = 'FAILED'")).isZero();
                assertThat(count("SELECT count(*) FROM usage_batch WHERE job_id IS NULL")).isEqualTo(2);
                // A running service's sealer gives each of them its job back, with the same id as before.
                try (UsageWriter sealer = TestWiring.sealer(postgres.dataSource(), clickHouse, ledger.pricing(),
                        ledger.jobs(), WriterSettings.DEFAULTS)) {
                    sealer.start();
                    await(() -> count("SELECT count(*) FROM usage_batch b JOIN jobrunr_jobs j ON j.id = b.job_id::text"
                            + " WHERE b.batch_id IN (" + batches.failed() + ", " + batches.failedTwice() + ")"
                            + " AND j.state = 'ENQUEUED'") == 2);
                }
            })),
            Map.entry("Delete old SUCCEEDED and DELETED jobs", new Check(
                    () -> execute("UPDATE jobrunr_jobs SET updatedat = updatedat - interval '8 days'"
                            + " WHERE state = 'SUCCEEDED'"),
                    rows -> {
                        assertThat(count("SELECT count(*) FROM jobrunr_jobs WHERE state = 'SUCCEEDED'")).isZero();
                        assertThat(count("SELECT count(*) FROM jobrunr_jobs")).isEqualTo(5);
                        assertThat(count("SELECT count(*) FROM usage_batch WHERE written_at IS NOT NULL")).isEqualTo(1);
                    })),
            Map.entry("Fix a dead letter's stored event before replaying it", new Check(
                    () -> execute("INSERT INTO usage_dead_letter (event_id, batch_id, event_time, error, payload,"
                            + " dead_lettered_at) VALUES (gen_random_uuid(), " + batches.succeeded() + ", now(),"
                            + " 'invalid usage event: total_tokens: must equal prompt + completion + tool_use_prompt"
                            + " tokens (15), got 999', '{\"prompt_tokens\": 10, \"completion_tokens\": 5,"
                            + " \"tool_use_prompt_tokens\": 0, \"total_tokens\": 999}', now())"),
                    rows -> {
                        assertThat(count("SELECT count(*) FROM usage_dead_letter WHERE payload ->> 'total_tokens' = '15'"))
                                .isEqualTo(1);
                        assertThat(count("SELECT count(*) FROM usage_dead_letter WHERE payload = '{}'"))
                                .as("the other dead letter is left as it was").isEqualTo(1);
                    })));

    @BeforeAll
    static void start() throws SQLException {
        postgres = TestPostgres.freshDatabase("admin_sql");
        clickHouse = TestClickHouse.embedded("admin_sql");
        // Back-pricing off: the reprice run below is the only one, and it queues no JobRunr job.
        ledger = TestLedger.open(TestLedger.config(Map.of("TOKENLEDGER_BACK_PRICING", "false")), Ledger.Mode.CLIENT,
                postgres, clickHouse);
        batches = AdminSqlFixture.jobsInEveryState(ledger, clickHouse);
    }

    @AfterAll
    static void stop() {
        ledger.close();
        clickHouse.close();
        postgres.close();
    }

    @Test
    void everySqlBlockInTheDocHasACheckAndEveryCheckABlock() throws Exception {
        assertThat(queries().keySet()).containsExactlyInAnyOrderElementsOf(checks.keySet());
    }

    @Test
    void everyQueryOfTheDocRunsInOrderAndAnswersWhatItsHeadingSays() throws Exception {
        for (Map.Entry<String, String> q : queries().entrySet()) {
            Check check = checks.get(q.getKey());
            assertThat(check).as("a check for '%s'", q.getKey()).isNotNull();
            check.before().run();
            List<Map<String, Object>> rows = run(q.getValue());
            try {
                check.rows().verify(rows);
            } catch (AssertionError e) {
                throw new AssertionError("'" + q.getKey() + "' answered " + rows + ": " + e.getMessage(), e);
            }
        }
    }

    @Test
    void usageWriteJobsAreNamedByTheSignatureTheDocFiltersOn() throws Exception {
        assertThat(Files.readString(DOC)).contains(USAGE_WRITE);
        assertThat(count("SELECT count(*) FROM jobrunr_jobs WHERE jobsignature = '" + USAGE_WRITE + "'"))
                .isGreaterThanOrEqualTo(5);
    }

    /** Heading → SQL, in document order; each block belongs to the nearest heading above it. */
    static Map<String, String> queries() throws Exception {
        String doc = Files.readString(DOC);
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = BLOCK.matcher(doc);
        while (m.find()) {
            String before = doc.substring(0, m.start());
            String heading = before.lines().filter(l -> l.startsWith("#")).reduce((a, b) -> b).orElseThrow()
                    .replaceFirst("^#+\\s*", "");
            assertThat(out.put(heading, m.group(1))).as("one sql block under '%s'", heading).isNull();
        }
        return out;
    }

    /** Runs a block as psql would (several statements allowed); the rows of its last query, if any. */
    private static List<Map<String, Object>> run(String sql) throws SQLException {
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement()) {
            boolean isQuery = st.execute(sql);
            while (true) {
                if (isQuery) {
                    rows.clear();
                    try (ResultSet rs = st.getResultSet()) {
                        ResultSetMetaData md = rs.getMetaData();
                        while (rs.next()) {
                            Map<String, Object> row = new LinkedHashMap<>();
                            for (int i = 1; i <= md.getColumnCount(); i++) {
                                row.put(md.getColumnLabel(i), rs.getObject(i));
                            }
                            rows.add(row);
                        }
                    }
                } else if (st.getUpdateCount() == -1) {
                    return rows;
                }
                isQuery = st.getMoreResults();
            }
        }
    }

    /** This month, yyyymm: the month of the fixture's events. */
    private static int month() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        return today.getYear() * 100 + today.getMonthValue();
    }

    private static long count(String sql) {
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    private static void execute(String sql) {
        try {
            AdminSqlFixture.execute(postgres, sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    private static void await(java.util.function.BooleanSupplier done) {
        org.awaitility.Awaitility.await("waited 30 s").atMost(Duration.ofSeconds(30)).dontCatchUncaughtExceptions()
                .pollInSameThread().pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(50)).until(done::getAsBoolean);
    }
}
