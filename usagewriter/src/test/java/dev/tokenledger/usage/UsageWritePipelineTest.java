package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jobrunr.jobs.states.StateName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** The pipeline as it runs in the service: JobRunr executes usage_write jobs, woken as batches are sealed. */
class UsageWritePipelineTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private PostgresDatabase postgres;
    private FaultyClickHouse clickHouse;
    private TestPipeline pipeline;

    private TestPipeline start(TestInfo test, WriterSettings settings) {
        String name = test.getTestMethod().orElseThrow().getName();
        postgres = TestPostgres.freshDatabase(name);
        clickHouse = new FaultyClickHouse(TestClickHouse.embedded("pipe_" + name));
        pipeline = TestPipeline.start(postgres, clickHouse, new FixedRatePricer(), settings, 4);
        return pipeline;
    }

    @AfterEach
    void stop() {
        if (pipeline != null) {
            pipeline.close();
            clickHouse.close();
            postgres.close();
        }
    }

    @Test
    void anEventRecordedOnAnIdleSystemIsWrittenWithoutWaitingForJobRunrsPoll(TestInfo test) {
        start(test, WriterSettings.DEFAULTS);
        pipeline.recorder.record(TestEvents.event().build());
        pipeline.awaitRawCount(1, DEADLINE);
        TestPipeline.await(() -> pipeline.storage.countJobs(StateName.SUCCEEDED) == 1, DEADLINE,
                () -> "the usage_write job did not succeed");
    }

    @Test
    void batchesCommittedInThisProcessAreWrittenFromMemoryWithExactlyTheRowsPostgresHolds(TestInfo test)
            throws SQLException {
        start(test, WriterSettings.DEFAULTS.withMaxBatchEvents(300));
        List<UsageEvent> events = new ArrayList<>(TestEvents.events(1_000));
        events.add(TestEvents.event().conversationId(null).provider("").messageId("naïve ✓").build());
        for (int i = 0; i < events.size(); i += 100) {
            pipeline.recorder.record(events.subList(i, Math.min(events.size(), i + 100)));
        }
        pipeline.awaitRawCount(events.size(), DEADLINE);

        assertThat(pipeline.writer.batchesReadFromMemory()).as("batches handed over in memory").isPositive();
        String columns = "event_id, user_id, workspace_id, conversation_id, message_id, agent_id, agent_db_id, model,"
                + " provider, prompt_tokens, completion_tokens, total_tokens, cached_tokens, call_sequence, turn_id,"
                + " session_id, service_tier";
        List<String> inClickHouse = clickHouse.query("SELECT " + columns + ", toUnixTimestamp64Milli(event_time) AS t"
                + " FROM llm_usage").stream().map(r -> r.values().values().toString()).sorted().toList();
        List<String> inPostgres = new ArrayList<>();
        try (Connection c = postgres.dataSource().getConnection();
             var rs = c.createStatement().executeQuery("SELECT " + columns + ", (extract(epoch FROM event_time) * 1000)"
                     + "::bigint AS t FROM usage_event")) {
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.add(rs.getString(i));
                }
                inPostgres.add(row.toString());
            }
        }
        assertThat(inClickHouse).containsExactlyElementsOf(inPostgres.stream().sorted().toList());
    }

    @Test
    void aBatchFromMemoryEncodesToTheSameBytesAsTheSameBatchReadFromPostgres(TestInfo test) {
        String name = test.getTestMethod().orElseThrow().getName();
        postgres = TestPostgres.freshDatabase(name);
        clickHouse = new FaultyClickHouse(TestClickHouse.embedded("pipe_" + name));
        pipeline = TestPipeline.manual(postgres, clickHouse, WriterSettings.DEFAULTS);
        pipeline.writer.attach(pipeline.recorder);
        for (int i = 0; i < 5; i++) {
            pipeline.recorder.record(TestEvents.events(40));
        }
        assertThat(pipeline.writer.sealReady()).isEqualTo(1);
        var batch = new BatchStore(postgres.dataSource()).batch(1);
        BatchWriter writer = pipeline.writer.batchWriter();

        List<BatchStore.StoredEvent> memory = writer.fromMemory(batch);
        List<BatchStore.StoredEvent> stored = writer.store().events(batch);
        assertThat(memory).hasSize(200);
        java.time.Instant at = java.time.Instant.parse("2026-01-01T00:00:00Z");
        FixedRatePricer pricer = new FixedRatePricer();
        java.util.function.Function<List<BatchStore.StoredEvent>, byte[]> encode = rows -> UsageRows.encode(
                rows.stream().map(r -> new PricedEvent(r.event(), pricer.price(r.event()))).toList(), 1, at);
        assertThat(encode.apply(memory)).isEqualTo(encode.apply(stored));
    }

    @Test
    void manyConcurrentRecordersAgainstOneWorkerHaveEveryEventWrittenExactlyOnce(TestInfo test) throws Exception {
        start(test, WriterSettings.DEFAULTS.withMaxBatchEvents(500));
        ConcurrentLinkedQueue<UUID> accepted = new ConcurrentLinkedQueue<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> callers = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                callers.add(pool.submit(() -> {
                    for (int j = 0; j < 10; j++) {
                        pipeline.recorder.record(TestEvents.events(5)).forEach(r -> accepted.add(r.eventId()));
                    }
                }));
            }
            for (Future<?> f : callers) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
        assertThat(accepted).hasSize(5_000).doesNotHaveDuplicates();
        pipeline.awaitRawCount(5_000, DEADLINE);
        assertThat(pipeline.rawCount()).isEqualTo(5_000);
        assertThat(clickHouse.query("SELECT uniqExact(event_id) AS n FROM llm_usage").getFirst().int64("n"))
                .isEqualTo(5_000);
        assertThat(pipeline.rollupEvents()).isEqualTo(5_000);
        assertThat(pipeline.rollupCost()).isEqualByComparingTo(pipeline.rawCost());
    }

    @Test
    void usageRecordedInARolledBackTransactionIsNeverWritten(TestInfo test) throws SQLException {
        start(test, WriterSettings.DEFAULTS);
        UsageEvent committed = TestEvents.event().build();
        UsageEvent rolledBack = TestEvents.event().build();
        try (Connection c = postgres.dataSource().getConnection()) {
            c.setAutoCommit(false);
            pipeline.recorder.record(c, List.of(rolledBack));
            c.rollback();
            pipeline.recorder.record(c, List.of(committed));
            c.commit();
        }
        pipeline.awaitRawCount(1, DEADLINE);
        assertThat(clickHouse.query("SELECT toString(event_id) AS id FROM llm_usage").getFirst().string("id"))
                .isEqualTo(committed.eventId().toString());
    }

    @Test
    void aJobThatFailedForGoodStaysVisibleAndIsWrittenOnceRequeued(TestInfo test) {
        start(test, WriterSettings.DEFAULTS.withJobRetries(0));
        clickHouse.down();
        pipeline.recorder.record(TestEvents.events(20));
        FailedUsageWrites failed = new FailedUsageWrites(pipeline.storage);
        TestPipeline.await(() -> failed.count() == 1, DEADLINE, () -> "no FAILED usage_write job");
        clickHouse.up();
        assertThat(pipeline.rawCount()).isZero();
        assertThat(failed.requeueAll()).isEqualTo(1);
        pipeline.awaitRawCount(20, DEADLINE);
        assertThat(failed.count()).isZero();
        assertThat(pipeline.rollupEvents()).isEqualTo(20);
    }
}
