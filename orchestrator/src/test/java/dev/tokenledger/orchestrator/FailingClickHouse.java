package dev.tokenledger.orchestrator;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ClickHouseException;
import dev.tokenledger.clickhouse.InsertBatch;
import dev.tokenledger.clickhouse.Row;
import java.util.List;
import java.util.Map;

/** A real ClickHouse that a test can make unreachable, and then bring back. */
public final class FailingClickHouse implements ClickHouse {
    private final ClickHouse real;
    private volatile boolean down;

    public FailingClickHouse(ClickHouse real) {
        this.real = real;
    }

    public void down() {
        down = true;
    }

    public void up() {
        down = false;
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
        guard();
        return real.query(sql, params);
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
