package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A batch is a key range over finished transactions: sealing never passes a transaction of this database
 * that may still add events, and only such a transaction holds it back.
 */
class BatchSealerTest {
    private PostgresDatabase postgres;
    private ClickHouse clickHouse;
    private TestPipeline pipeline;

    @BeforeEach
    void start(TestInfo test) {
        String name = test.getTestMethod().orElseThrow().getName();
        postgres = TestPostgres.freshDatabase(name);
        clickHouse = TestClickHouse.embedded(name);
        pipeline = TestPipeline.manual(postgres, clickHouse, WriterSettings.DEFAULTS);
    }

    @AfterEach
    void stop() {
        pipeline.close();
        clickHouse.close();
        postgres.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"read committed", "repeatable read"})
    void eventsOfATransactionStillOpenAreNeverSealedPastAndJoinTheNextBatchOnceCommitted(String isolation)
            throws SQLException {
        execute("ALTER DATABASE " + databaseName() + " SET default_transaction_isolation = '" + isolation + "'");
        postgres.dataSource().unwrap(com.zaxxer.hikari.HikariDataSource.class).getHikariPoolMXBean()
                .softEvictConnections(); // new sessions pick up the default
        pipeline.recorder.record(TestEvents.events(3));
        try (Connection open = postgres.dataSource().getConnection()) {
            open.setAutoCommit(false);
            pipeline.recorder.record(open, TestEvents.events(2)); // inserted, not committed
            pipeline.recorder.record(TestEvents.events(4)); // committed after it started

            pipeline.writer.sealReady();
            assertThat(sealedEvents()).as("only the events before the open transaction").isEqualTo(3);

            open.commit();
        }
        pipeline.writer.sealReady();
        assertThat(sealedEvents()).isEqualTo(9);
        assertThat(eventsInMoreThanOneBatch()).isZero();
    }

    /**
     * Regression (found by running the chaos scenarios next to the other tests, on one PostgreSQL server):
     * a transaction open in another database held back every batch of this one.
     */
    @Test
    void aTransactionOpenInAnotherDatabaseOfTheServerDoesNotHoldBackSealing() throws SQLException {
        try (PostgresDatabase other = TestPostgres.freshDatabase("another_application");
             Connection elsewhere = other.dataSource().getConnection()) {
            elsewhere.setAutoCommit(false);
            try (Statement st = elsewhere.createStatement()) {
                st.execute("SELECT pg_current_xact_id()"); // holds a transaction id, like any writing transaction
            }
            pipeline.recorder.record(TestEvents.events(5));

            pipeline.writer.sealReady();

            assertThat(sealedEvents()).isEqualTo(5);
            elsewhere.rollback();
        }
    }

    private String databaseName() throws SQLException {
        try (Connection c = postgres.dataSource().getConnection()) {
            return c.getCatalog();
        }
    }

    private long sealedEvents() throws SQLException {
        return count("SELECT coalesce(sum(event_count), 0) FROM usage_batch");
    }

    private long eventsInMoreThanOneBatch() throws SQLException {
        return count("SELECT count(*) FROM (SELECT e.event_id FROM usage_event e JOIN usage_batch b"
                + " ON (e.tx_id, e.seq) > (b.after_tx, b.after_seq) AND (e.tx_id, e.seq) <= (b.last_tx, b.last_seq)"
                + " GROUP BY e.event_id HAVING count(*) > 1) d");
    }

    private long count(String sql) throws SQLException {
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
