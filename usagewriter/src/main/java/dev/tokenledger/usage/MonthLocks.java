package dev.tokenledger.usage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.jooq.exception.DataAccessException;

/**
 * PostgreSQL advisory locks on ClickHouse months (yyyymm), across every process of the ledger. A usage_write
 * attempt holds its batch's months shared, from before it looks at the batch until it is marked written; a
 * rollup repair holds its month exclusively while it rebuilds it from llm_usage. So no insert into a month
 * happens while its rollup is rebuilt, and a repair never starts between an insert and its written mark.
 *
 * <p>Session locks on a connection of their own, held for the whole write (a transaction-level lock would keep a
 * transaction open across the ClickHouse insert). Months are locked in ascending order, so two holders never
 * wait for each other in a cycle. A process that dies releases its locks with its connection.
 */
final class MonthLocks implements AutoCloseable {
    /** First half of the advisory lock key: "ulmo" (usage ledger month). */
    static final int NAMESPACE = 0x756c6d6f;

    private final Connection connection;
    private final List<Integer> months;
    private final boolean shared;

    private MonthLocks(Connection connection, List<Integer> months, boolean shared) {
        this.connection = connection;
        this.months = months;
        this.shared = shared;
    }

    /** Waits up to {@code timeout} for the months, shared (writers) or exclusive (a repair). */
    static MonthLocks acquire(DataSource dataSource, Collection<Integer> months, boolean shared, Duration timeout) {
        List<Integer> sorted = List.copyOf(new TreeSet<>(months));
        Connection c = null;
        try {
            c = dataSource.getConnection();
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                st.execute("SET lock_timeout = " + Math.max(1, timeout.toMillis()));
            }
            try (PreparedStatement ps = c.prepareStatement(shared ? "SELECT pg_advisory_lock_shared(?, ?)"
                    : "SELECT pg_advisory_lock(?, ?)")) {
                for (int month : sorted) {
                    ps.setInt(1, NAMESPACE);
                    ps.setInt(2, month);
                    ps.execute();
                }
            }
            return new MonthLocks(c, sorted, shared);
        } catch (SQLException e) {
            if (c != null) {
                release(c);
            }
            throw new DataAccessException("cannot lock ClickHouse month(s) " + sorted + (shared ? " shared" : "")
                    + " within " + timeout + ": " + e.getMessage(), e);
        }
    }

    List<Integer> months() {
        return months;
    }

    @Override
    public void close() {
        release(connection);
    }

    /** Unlocks everything this session holds and resets it before the pool hands the connection out again. */
    private static void release(Connection c) {
        try (Statement st = c.createStatement()) {
            st.execute("SELECT pg_advisory_unlock_all()");
            st.execute("RESET lock_timeout");
        } catch (SQLException e) {
            // The connection is broken: PostgreSQL released the locks with the session.
        } finally {
            try {
                c.close();
            } catch (SQLException ignored) {
                // nothing more to release
            }
        }
    }

    @Override
    public String toString() {
        return "MonthLocks" + months + (shared ? " shared" : " exclusive");
    }
}
