package dev.tokenledger.orchestrator;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ClickHouseException;
import dev.tokenledger.clickhouse.InsertBatch;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.clickhouse.RowBinaryResult;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/** A real ClickHouse that a test can make unreachable or hold queries in, and then bring back. */
public final class FailingClickHouse implements ClickHouse {
    private final ClickHouse real;
    private volatile boolean down;
    private volatile CountDownLatch gate;
    private volatile String heldSql;
    private final Semaphore held = new Semaphore(0);

    public FailingClickHouse(ClickHouse real) {
        this.real = real;
    }

    public void down() {
        down = true;
    }

    public void up() {
        down = false;
    }

    /**
     * Queries whose SQL is {@code sql} wait from now on until {@link #releaseQueries()}; others pass (the ledger's
     * own background queries must not be taken for the one a test waits on).
     */
    public void holdQueries(String sql) {
        heldSql = sql;
        gate = new CountDownLatch(1);
    }

    /** Waits until a query is being held. */
    public void awaitHeldQuery() throws InterruptedException {
        if (!held.tryAcquire(30, TimeUnit.SECONDS)) {
            throw new AssertionError("no query reached ClickHouse within 30 s");
        }
    }

    public void releaseQueries() {
        CountDownLatch g = gate;
        gate = null;
        if (g != null) {
            g.countDown();
        }
    }

    private void guard() {
        if (down) {
            throw new ClickHouseException("injected: connection refused", null, null);
        }
    }

    @Override
    public void execute(String sql) {
        guard();
        real.execute(sql);
    }

    @Override
    public List<Row> query(String sql, Map<String, String> params) {
        hold(sql);
        return real.query(sql, params);
    }

    @Override
    public RowBinaryResult queryRowBinary(String sql, Map<String, String> params) {
        hold(sql);
        return real.queryRowBinary(sql, params);
    }

    /** Refuses while down; waits while queries are held. */
    private void hold(String sql) {
        guard();
        CountDownLatch g = gate;
        if (g != null && sql.equals(heldSql)) {
            held.release();
            try {
                g.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClickHouseException("interrupted while held", null, e);
            }
        }
    }

    @Override
    public void insert(InsertBatch batch) {
        guard();
        real.insert(batch);
    }

    @Override
    public String version() {
        return real.version();
    }

    @Override
    public Backend backend() {
        return real.backend();
    }

    @Override
    public String database() {
        return real.database();
    }

    @Override
    public void close() {
        real.close();
    }
}
