package dev.tokenledger.clickhouse;

import java.util.List;
import java.util.Map;

/**
 * A test database on a shared, long-lived server (one named by {@code TOKENLEDGER_CLICKHOUSE_URL}), dropped
 * when the test closes it, so repeated runs leave nothing behind. Everything else is delegated.
 */
final class DroppedOnClose implements ClickHouse {
    private final ClickHouse delegate;

    DroppedOnClose(ClickHouse delegate) {
        this.delegate = delegate;
    }

    @Override
    public void execute(String sql) {
        delegate.execute(sql);
    }

    @Override
    public List<Row> query(String sql, Map<String, String> params) {
        return delegate.query(sql, params);
    }

    @Override
    public RowBinaryResult queryRowBinary(String sql, Map<String, String> params) {
        return delegate.queryRowBinary(sql, params);
    }

    @Override
    public void insert(InsertBatch batch) {
        delegate.insert(batch);
    }

    @Override
    public String version() {
        return delegate.version();
    }

    @Override
    public Backend backend() {
        return delegate.backend();
    }

    @Override
    public String database() {
        return delegate.database();
    }

    @Override
    public void close() {
        try {
            delegate.execute("DROP DATABASE IF EXISTS " + Identifiers.quoted(delegate.database(), "database name"));
        } finally {
            delegate.close();
        }
    }

    @Override
    public String toString() {
        return delegate + " (dropped on close)";
    }
}
