package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/**
 * Several writers on one PostgreSQL (as several worker processes): one seals at a time, the others stand by, and
 * the sealing passes to a standby when the sealer's session ends (as when its process is killed) or it stops.
 */
class SealerLeaseTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void oneWriterSealsAtATimeAndAStandbyTakesOverWhenTheSealersSessionEndsOrItStops() throws SQLException {
        try (PostgresDatabase postgres = TestPostgres.freshDatabase("sealer_lease");
             ClickHouse clickHouse = TestClickHouse.embedded("sealer_lease")) {
            TestPipeline a = TestPipeline.start(postgres, clickHouse);
            TestPipeline b = TestPipeline.start(postgres, clickHouse);
            try {
                awaitOneSealer(a, b);
                a.recorder.record(TestEvents.events(40));
                b.recorder.record(TestEvents.events(40));
                a.awaitRawCount(80, WAIT);
                assertThat(a.writer.sealing() ^ b.writer.sealing()).as("exactly one of the two seals").isTrue();

                // The sealer's session ends as it does when its process dies: PostgreSQL releases the lock with it.
                assertThat(terminateLeaseHolder(postgres)).as("sessions holding the sealer lease").isEqualTo(1);
                awaitOneSealer(a, b);
                b.recorder.record(TestEvents.events(20));
                a.awaitRawCount(100, WAIT);

                TestPipeline sealer = a.writer.sealing() ? a : b;
                TestPipeline standby = sealer == a ? b : a;
                sealer.close();
                assertThat(sealer.writer.sealing()).isFalse();
                TestPipeline.await(standby.writer::sealing, WAIT, () -> "the standby did not take the sealing over");
                standby.recorder.record(TestEvents.events(20));
                standby.awaitRawCount(120, WAIT);
                assertThat(standby.rawCount()).as("every event once").isEqualTo(120);
                LocalDate today = LocalDate.now(ZoneOffset.UTC);
                // The last batch's written mark may follow its rows into ClickHouse by a moment.
                TestPipeline.await(() -> standby.reconciler.reconcile(today.minusDays(2), today.plusDays(1)).clean(), WAIT,
                        () -> "reconcile: " + standby.reconciler.reconcile(today.minusDays(2), today.plusDays(1)));
            } finally {
                a.close();
                b.close();
            }
        }
    }

    private static void awaitOneSealer(TestPipeline a, TestPipeline b) {
        TestPipeline.await(() -> a.writer.sealing() ^ b.writer.sealing(), WAIT,
                () -> "sealing: a " + a.writer.sealing() + ", b " + b.writer.sealing());
    }

    /** Ends the session holding the sealer lease (a session-level advisory lock on a bigint key); returns how many. */
    private static int terminateLeaseHolder(PostgresDatabase postgres) throws SQLException {
        try (Connection c = postgres.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l"
                     + " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
                     + " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                     + " AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtext(?)")) {
            ps.setString(1, SealerLease.LOCK);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
