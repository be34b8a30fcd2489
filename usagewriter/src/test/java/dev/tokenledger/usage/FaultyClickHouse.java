package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ClickHouseException;
import dev.tokenledger.clickhouse.InsertBatch;
import dev.tokenledger.clickhouse.Row;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real ClickHouse with faults injected at its boundary: the insert fails before reaching ClickHouse,
 * or reaches it and then the answer is lost (the classic timed-out insert that actually succeeded), or
 * the whole server is unavailable.
 */
final class FaultyClickHouse implements ClickHouse {
    enum Fault { NONE, BEFORE_INSERT, AFTER_INSERT, DOWN }

    private final ClickHouse real;
    private volatile Fault fault = Fault.NONE;
    private final AtomicInteger faultsLeft = new AtomicInteger();
    final AtomicInteger inserts = new AtomicInteger();

    FaultyClickHouse(ClickHouse real) {
        this.real = real;
    }

    private volatile String faultTable = BatchWriter.TABLE;

    /** The next {@code times} inserts into llm_usage fail this way. */
    void failNext(Fault fault, int times) {
        failNext(fault, times, BatchWriter.TABLE);
    }

    /** The next {@code times} inserts into {@code table} fail this way. */
    void failNext(Fault fault, int times, String table) {
        this.faultTable = table;
        this.fault = fault;
        this.faultsLeft.set(times);
    }

    void down() {
        this.fault = Fault.DOWN;
        this.faultsLeft.set(Integer.MAX_VALUE);
    }

    void up() {
        this.fault = Fault.NONE;
        this.faultsLeft.set(0);
    }

    @Override
    public void execute(String sql) {
        guardOutage();
        real.execute(sql);
    }

    @Override
    public List<Row> query(String sql, Map<String, String> params) {
        guardOutage();
        return real.query(sql, params);
    }

    @Override
    public dev.tokenledger.clickhouse.RowBinaryResult queryRowBinary(String sql, Map<String, String> params) {
        guardOutage();
        return real.queryRowBinary(sql, params);
    }

    @Override
    public void insert(InsertBatch batch) {
        guardOutage();
        boolean target = batch.table().equals(faultTable) && faultsLeft.get() > 0;
        if (target && fault == Fault.BEFORE_INSERT && faultsLeft.getAndDecrement() > 0) {
            throw new ClickHouseException("injected: connection reset before the insert was sent", null, null);
        }
        real.insert(batch);
        inserts.incrementAndGet();
        if (target && fault == Fault.AFTER_INSERT && faultsLeft.getAndDecrement() > 0) {
            throw new ClickHouseException("injected: read timed out after the insert was sent", null, null);
        }
    }

    private void guardOutage() {
        if (fault == Fault.DOWN) {
            throw new ClickHouseException("injected: connection refused", null, null);
        }
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
