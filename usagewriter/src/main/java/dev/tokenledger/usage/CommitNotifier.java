package dev.tokenledger.usage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether a group commit must NOTIFY {@value UsageWriter#CHANNEL}. Only a writer of another process needs
 * the notification: the writer of this process is woken in memory ({@link UsageRecorder#onCommitted}). A
 * notifying commit is not free: PostgreSQL serialises the commits of notifying transactions on its notification
 * queue (V29__usage_event_notify_unless_quiet.sql). Writers announce themselves by the application name of their
 * listening session ({@value #LISTENER_APPLICATION}); this recorder looks for one other than its own writer's at
 * its first commit and then at most every {@link #RECHECK}, after a commit, never in front of one.
 *
 * <p>A writer that starts listening is seen within {@link #RECHECK}; until then it finds the events by its own
 * idle poll (a wake-up at start, then every second). A missed notification delays a batch, it never loses one.
 */
final class CommitNotifier {
    private static final Logger LOG = LoggerFactory.getLogger(CommitNotifier.class);
    /** The application_name of a writer's LISTEN session. */
    static final String LISTENER_APPLICATION = "tokenledger-usage-listener";
    static final Duration RECHECK = Duration.ofSeconds(1);
    private static final String OTHER_LISTENERS = "SELECT EXISTS (SELECT 1 FROM pg_stat_activity"
            + " WHERE datname = current_database() AND application_name = ? AND pid <> ?)";

    private final boolean everyCommit;
    private volatile IntSupplier localListenerPid = () -> 0;
    private volatile boolean othersListen = true;
    /** System.nanoTime() after which the next commit looks again; 0 = never looked yet. */
    private final AtomicLong recheckAt = new AtomicLong();

    /** @param everyCommit notify on every commit, as before V29 (the benchmark's baseline) */
    CommitNotifier(boolean everyCommit) {
        this.everyCommit = everyCommit;
    }

    /** The writer of this process: its listening session (backend pid, 0 while not connected) is not another. */
    void localWriter(IntSupplier listenerPid) {
        this.localListenerPid = listenerPid;
    }

    /** Whether the commit about to run on {@code connection} must notify; looks on it if nobody looked yet. */
    boolean notifyOn(Connection connection) {
        if (everyCommit) {
            return true;
        }
        if (recheckAt.get() == 0) {
            look(connection);
        }
        return othersListen;
    }

    /** Looks again when due; called after a commit so that no caller waits for it. */
    void recheckIfDue(DataSource dataSource) {
        long due = recheckAt.get();
        long now = System.nanoTime();
        if (everyCommit || now - due < 0 || !recheckAt.compareAndSet(due, now + RECHECK.toNanos())) {
            return;
        }
        try (Connection c = dataSource.getConnection()) {
            look(c);
        } catch (SQLException | RuntimeException e) {
            // Keep notifying while unsure: a needless notification costs time, a missing one freshness.
            othersListen = true;
            LOG.debug("cannot tell whether writers of other processes listen; notifying", e);
        }
    }

    private void look(Connection connection) {
        try (PreparedStatement ps = connection.prepareStatement(OTHER_LISTENERS)) {
            ps.setString(1, LISTENER_APPLICATION);
            ps.setInt(2, localListenerPid.getAsInt());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                othersListen = rs.getBoolean(1);
            }
        } catch (SQLException e) {
            othersListen = true;
            LOG.debug("cannot tell whether writers of other processes listen; notifying", e);
        }
        recheckAt.set(Math.max(1, System.nanoTime() + RECHECK.toNanos()));
    }
}
