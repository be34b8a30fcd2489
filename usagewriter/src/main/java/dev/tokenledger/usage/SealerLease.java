package dev.tokenledger.usage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Which writer process runs the sealer loop: the one whose connection holds a session-level PostgreSQL advisory
 * lock. The others stand by and try again each time their loop wakes.
 *
 * <p>Why a lease on top of seal_usage_batch's own lock: that function is already safe under concurrency. It takes
 * a transaction-level advisory lock first and returns nothing when another sealer holds it, and under READ
 * COMMITTED its next statement (reading the last batch) sees the batch the previous holder committed before its
 * lock was released; so two processes sealing at once cut the same ordered, non-overlapping ranges one would.
 * Correctness never rests on this lease. What it buys: one process cuts batches at the linger pace (two sealers
 * each lingering on their own clock cut twice as many, smaller batches), one process sweeps orphaned batches, and
 * standby writers do not poll seal_usage_batch.
 *
 * <p>Hand-over: the lock lives as long as the session. When the holder dies (SIGKILL included) its socket closes,
 * its backend ends and PostgreSQL releases the lock; the next standby to wake takes it. A holder whose host
 * vanishes without closing the socket keeps it until the server's TCP keepalive ends the session
 * (docs/deployment.md). A holder whose connection breaks lets go and competes again like the others.
 *
 * <p>Used by the sealer thread only: not thread-safe.
 */
final class SealerLease implements AutoCloseable {
    /** Not seal_usage_batch's key (hashtext('tokenledger.seal_usage_batch')): its callers must not wait on us. */
    static final String LOCK = "tokenledger.usage_sealer";

    private final DataSource dataSource;
    private Connection held;

    SealerLease(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Whether this process is the sealer now: true while its session holds the lock, or once it takes it. */
    boolean hold() throws SQLException {
        if (held != null) {
            if (held.isValid(2)) {
                return true;
            }
            release(); // the session ended with its lock: compete again
        }
        Connection c = dataSource.getConnection();
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(hashtext(?))")) {
            ps.setString(1, LOCK);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1)) {
                    held = c;
                    return true;
                }
            }
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
        c.close();
        return false;
    }

    /** Gives the lock up (a standby takes it at its next wake). */
    @Override
    public void close() {
        release();
    }

    private void release() {
        Connection c = held;
        held = null;
        if (c == null) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(hashtext(?))")) {
            ps.setString(1, LOCK);
            ps.execute();
        } catch (SQLException e) {
            // A pooled connection must not go back still holding the lock, or no process could seal again:
            // end the session (PostgreSQL releases its locks with it); the pool drops the dead connection.
            try {
                c.abort(Runnable::run);
            } catch (SQLException ignored) {
                // already gone
            }
        } finally {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closed with its session
            }
        }
    }
}
