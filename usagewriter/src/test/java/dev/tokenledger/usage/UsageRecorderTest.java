package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class UsageRecorderTest {
    private static PostgresDatabase db;
    private UsageRecorder recorder;

    @BeforeAll
    static void database() {
        db = TestPostgres.freshDatabase("recorder");
    }

    @AfterAll
    static void close() {
        db.close();
    }

    @BeforeEach
    void recorder() throws SQLException {
        execute("TRUNCATE usage_event");
        recorder = new UsageRecorder(db.dataSource(), RecorderSettings.DEFAULTS, InstantSource.system());
    }

    @Test
    void recordReturnsOnlyOnceTheEventsAreCommitted() throws SQLException {
        List<UsageEvent> events = TestEvents.events(3);
        List<RecordResult> results = recorder.record(events);

        assertThat(results).extracting(RecordResult::status).containsOnly(RecordResult.Status.ACCEPTED);
        assertThat(count("SELECT count(*) FROM usage_event")).isEqualTo(3);
    }

    @Test
    void recordingTheSameEventIdAgainIsReportedAsADuplicateAndStoresOneRow() throws SQLException {
        UsageEvent event = TestEvents.event().build();
        recorder.record(event);
        UsageEvent retry = TestEvents.event().eventId(event.eventId()).promptTokens(5).cachedTokens(0).build();

        assertThat(recorder.record(retry)).extracting(RecordResult::status).containsExactly(RecordResult.Status.DUPLICATE);
        assertThat(recorder.record(event, event)).extracting(RecordResult::status)
                .containsExactly(RecordResult.Status.DUPLICATE, RecordResult.Status.DUPLICATE);
        assertThat(count("SELECT count(*) FROM usage_event")).isEqualTo(1);
        assertThat(count("SELECT prompt_tokens FROM usage_event")).isEqualTo(event.promptTokens());
    }

    @Test
    void theSameIdTwiceInOneCallIsAcceptedOnceAndReportedDuplicateOnce() throws SQLException {
        UsageEvent event = TestEvents.event().build();
        assertThat(recorder.record(event, event)).extracting(RecordResult::status)
                .containsExactly(RecordResult.Status.ACCEPTED, RecordResult.Status.DUPLICATE);
        assertThat(count("SELECT count(*) FROM usage_event")).isEqualTo(1);
    }

    @Test
    void anEventOutsideTheTimeBoundsIsRejectedAloneAndItsNeighboursAreRecorded() throws SQLException {
        UsageEvent good1 = TestEvents.event().build();
        UsageEvent future = TestEvents.event().eventTime(Instant.now().plus(Duration.ofHours(2))).build();
        UsageEvent tooOld = TestEvents.event().eventTime(Instant.now().minus(Duration.ofDays(400))).build();
        UsageEvent good2 = TestEvents.event().build();

        List<RecordResult> results = recorder.record(good1, future, tooOld, good2);

        assertThat(results).extracting(RecordResult::status).containsExactly(RecordResult.Status.ACCEPTED,
                RecordResult.Status.REJECTED, RecordResult.Status.REJECTED, RecordResult.Status.ACCEPTED);
        assertThat(results.get(1).errors()).singleElement().satisfies(e -> {
            assertThat(e.field()).isEqualTo("event_time");
            assertThat(e.problem()).contains("in the future");
        });
        assertThat(results.get(2).errors().getFirst().problem()).contains("retention");
        assertThat(count("SELECT count(*) FROM usage_event")).isEqualTo(2);
    }

    @Test
    void everyRecordVariantTellsItsListenersTheResults() throws Exception {
        List<RecordResult.Status> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        recorder.onRecorded(results -> results.forEach(r -> heard.add(r.status())));
        UsageEvent event = TestEvents.event().build();
        UsageEvent future = TestEvents.event().eventTime(Instant.now().plus(Duration.ofHours(2))).build();

        recorder.record(event, future);
        recorder.recordAsync(List.of(event)).get(5, TimeUnit.SECONDS);
        try (Connection c = db.dataSource().getConnection()) {
            recorder.record(c, List.of(TestEvents.event().build()));
        }

        assertThat(heard).containsExactly(RecordResult.Status.ACCEPTED, RecordResult.Status.REJECTED,
                RecordResult.Status.DUPLICATE, RecordResult.Status.ACCEPTED);
    }

    @Test
    void recordingInsideTheCallersTransactionCommitsOrRollsBackWithItsWork() throws SQLException {
        UsageEvent committed = TestEvents.event().build();
        UsageEvent rolledBack = TestEvents.event().build();
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            assertThat(recorder.record(c, List.of(committed))).extracting(RecordResult::status)
                    .containsExactly(RecordResult.Status.ACCEPTED);
            assertThat(count("SELECT count(*) FROM usage_event")).as("invisible before the caller commits").isZero();
            c.commit();
            recorder.record(c, List.of(rolledBack));
            c.rollback();
        }
        assertThat(ids()).containsExactly(committed.eventId());
    }

    @Test
    void recordAsyncReturnsAFutureThatCompletesOnceDurable() throws Exception {
        List<UsageEvent> events = TestEvents.events(10);
        CompletableFuture<List<RecordResult>> future = recorder.recordAsync(events);
        assertThat(future.get(10, TimeUnit.SECONDS)).extracting(RecordResult::status)
                .containsOnly(RecordResult.Status.ACCEPTED);
        assertThat(count("SELECT count(*) FROM usage_event")).isEqualTo(10);
    }

    @Test
    void recordAsyncRefusesLoudlyWhenItsBufferIsFullAndDropsNothing() throws Exception {
        recorder.close();
        recorder = new UsageRecorder(db.dataSource(), new RecorderSettings(1, 10, 10, Duration.ZERO,
                Duration.ofSeconds(5), Duration.ofMinutes(5), java.time.Period.ofMonths(13)), InstantSource.system());
        List<CompletableFuture<List<RecordResult>>> accepted = new ArrayList<>();
        // Hold the table so the committer blocks and the buffer fills.
        try (Connection blocker = db.dataSource().getConnection()) {
            blocker.setAutoCommit(false);
            try (Statement st = blocker.createStatement()) {
                st.execute("LOCK TABLE usage_event IN ACCESS EXCLUSIVE MODE");
            }
            accepted.add(recorder.recordAsync(TestEvents.events(10)));
            assertThatThrownBy(() -> {
                for (int i = 0; i < 3; i++) {
                    accepted.add(recorder.recordAsync(TestEvents.events(5)));
                }
            }).isInstanceOf(BufferFullException.class).hasMessageContaining("none dropped");
            blocker.rollback();
        }
        for (CompletableFuture<List<RecordResult>> f : accepted) {
            assertThat(f.get(10, TimeUnit.SECONDS)).extracting(RecordResult::status)
                    .containsOnly(RecordResult.Status.ACCEPTED);
        }
        long acceptedEvents = accepted.stream().mapToLong(f -> f.join().size()).sum();
        assertThat(count("SELECT count(*) FROM usage_event")).isEqualTo(acceptedEvents);
    }

    @Test
    void manyConcurrentRecordersEachGetEveryEventStoredExactlyOnce() throws Exception {
        int callers = 200;
        ConcurrentLinkedQueue<UUID> acceptedIds = new ConcurrentLinkedQueue<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                calls.add(pool.submit(() -> {
                    for (RecordResult r : recorder.record(TestEvents.events(5))) {
                        assertThat(r.status()).isEqualTo(RecordResult.Status.ACCEPTED);
                        acceptedIds.add(r.eventId());
                    }
                }));
            }
            for (var c : calls) {
                c.get(60, TimeUnit.SECONDS);
            }
        }
        assertThat(acceptedIds).hasSize(callers * 5).doesNotHaveDuplicates();
        assertThat(count("SELECT count(*) FROM usage_event")).isEqualTo(callers * 5);
    }

    @Test
    void closingTheRecorderCommitsEverythingItAlreadyAcceptedBeforeReturning() throws Exception {
        List<CompletableFuture<List<RecordResult>>> pending = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            pending.add(recorder.recordAsync(TestEvents.events(20)));
        }
        recorder.close();
        for (CompletableFuture<List<RecordResult>> f : pending) {
            assertThat(f).isCompleted();
            assertThat(f.join()).extracting(RecordResult::status).containsOnly(RecordResult.Status.ACCEPTED);
        }
        assertThat(count("SELECT count(*) FROM usage_event")).isEqualTo(1_000);
        assertThatThrownBy(() -> recorder.recordAsync(TestEvents.events(1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("shut down");
    }

    @Test
    void recordFailsFastWithAClearErrorWhenPostgresIsUnreachable() {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:postgresql://127.0.0.1:1/nowhere");
        config.setUsername("postgres");
        config.setConnectionTimeout(500);
        config.setInitializationFailTimeout(-1);
        try (HikariDataSource unreachable = new HikariDataSource(config);
             UsageRecorder failing = new UsageRecorder(unreachable,
                     RecorderSettings.DEFAULTS.withRecordTimeout(Duration.ofSeconds(2)), InstantSource.system())) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> failing.record(TestEvents.event().build()))
                    .isInstanceOf(RecordFailedException.class)
                    .hasMessageContaining("PostgreSQL");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        }
    }

    /**
     * Regression (found while building the PostgreSQL-outage chaos scenario): record() waited up to its
     * timeout for room in a full buffer, then up to the whole timeout again for the commit.
     */
    @Test
    void aCallThatFirstWaitsForRoomInAFullBufferStillFailsWithinItsOneTimeout() throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:postgresql://127.0.0.1:1/nowhere");
        config.setUsername("postgres");
        config.setConnectionTimeout(1_500); // each failing commit holds its group this long
        config.setInitializationFailTimeout(-1);
        Duration timeout = Duration.ofSeconds(2);
        RecorderSettings oneSlot = new RecorderSettings(1, 10, 10, Duration.ZERO, timeout,
                RecorderSettings.DEFAULTS.maxFutureSkew(), RecorderSettings.DEFAULTS.retention());
        try (HikariDataSource unreachable = new HikariDataSource(config);
             UsageRecorder failing = new UsageRecorder(unreachable, oneSlot, InstantSource.system())) {
            var first = Executors.newSingleThreadExecutor().submit(() -> failing.record(TestEvents.events(10)));
            Thread.sleep(100); // the first call's events fill the buffer; the next call waits for room
            long started = System.nanoTime();
            assertThatThrownBy(() -> failing.record(TestEvents.events(10))).isInstanceOf(RecordFailedException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(timeout.plusMillis(300));
            assertThatThrownBy(first::get).hasCauseInstanceOf(RecordFailedException.class);
        }
    }

    private static long count(String sql) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<UUID> ids() throws SQLException {
        List<UUID> ids = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT event_id FROM usage_event ORDER BY seq")) {
            while (rs.next()) {
                ids.add(rs.getObject(1, UUID.class));
            }
        }
        return ids;
    }

    private static void execute(String sql) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
