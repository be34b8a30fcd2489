package dev.tokenledger.clickhouse;

import java.util.List;
import java.util.Map;

/**
 * A ClickHouse whose queries all end with one {@code SETTINGS} clause: the same questions asked under other
 * settings, side by side with the plain backend (the benchmarks' baselines, the tests that compare answers with and
 * without projections). Statements and inserts pass through unchanged; closing it leaves the backend open.
 */
final class QuerySettingsClickHouse implements ClickHouse {
    private final ClickHouse delegate;
    private final String clause;

    QuerySettingsClickHouse(ClickHouse delegate, String settings) {
        if (settings.isBlank() || settings.contains(";")) {
            throw new IllegalArgumentException("settings must be a list of name = value, got '" + settings + "'");
        }
        this.delegate = delegate;
        this.clause = "\nSETTINGS " + settings;
    }

    @Override
    public void execute(String sql) {
        delegate.execute(sql);
    }

    @Override
    public List<Row> query(String sql, Map<String, String> params) {
        return delegate.query(sql + clause, params);
    }

    @Override
    public RowBinaryResult queryRowBinary(String sql, Map<String, String> params) {
        return delegate.queryRowBinary(sql + clause, params);
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
        // the backend belongs to whoever opened it
    }

    @Override
    public String toString() {
        return delegate + clause.replace('\n', ' ');
    }
}
