package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.InsertBatch;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.clickhouse.RowBinaryResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * A ClickHouse that delegates every call and adds up the wall time spent in it, by kind: queries that hand over many
 * rows (reads), queries of a few rows (counts, sums, checks), inserts, other statements. Wrapped around the backend of
 * a component under measurement, it says how much of that component's time is ClickHouse's (including the client's
 * decoding of the result, which happens inside the call) without knowing how the component reads. Closing it does
 * not close the backend.
 */
final class TimedClickHouse implements ClickHouse {
    /** A query returning more rows than this counts as a read. */
    private static final int READ_ROWS = 1_000;

    private final ClickHouse delegate;
    private final Map<String, LongAdder[]> kinds = new LinkedHashMap<>();

    TimedClickHouse(ClickHouse delegate) {
        this.delegate = delegate;
        for (String k : List.of("reads", "small_queries", "inserts", "statements")) {
            kinds.put(k, new LongAdder[] {new LongAdder(), new LongAdder(), new LongAdder()});
        }
    }

    /** Per kind: calls, seconds, rows handed over (reads and small queries) or inserted. */
    record Totals(Map<String, long[]> byKind) {
        double seconds(String kind) {
            return byKind.get(kind)[1] / 1e9;
        }

        long rows(String kind) {
            return byKind.get(kind)[2];
        }

        double clickHouseSeconds() {
            return byKind.values().stream().mapToLong(v -> v[1]).sum() / 1e9;
        }

        Totals minus(Totals earlier) {
            Map<String, long[]> out = new LinkedHashMap<>();
            byKind.forEach((k, v) -> {
                long[] e = earlier.byKind.get(k);
                out.put(k, new long[] {v[0] - e[0], v[1] - e[1], v[2] - e[2]});
            });
            return new Totals(out);
        }

        Map<String, Object> json() {
            Map<String, Object> out = new LinkedHashMap<>();
            byKind.forEach((k, v) -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("calls", v[0]);
                m.put("seconds", Latencies.round(v[1] / 1e9));
                m.put("rows", v[2]);
                out.put(k, m);
            });
            return out;
        }
    }

    Totals totals() {
        Map<String, long[]> out = new LinkedHashMap<>();
        kinds.forEach((k, v) -> out.put(k, new long[] {v[0].sum(), v[1].sum(), v[2].sum()}));
        return new Totals(out);
    }

    private void add(String kind, long t0, long rows) {
        LongAdder[] a = kinds.get(kind);
        a[0].increment();
        a[1].add(System.nanoTime() - t0);
        a[2].add(rows);
    }

    @Override
    public void execute(String sql) {
        long t0 = System.nanoTime();
        try {
            delegate.execute(sql);
        } finally {
            add("statements", t0, 0);
        }
    }

    @Override
    public List<Row> query(String sql, Map<String, String> params) {
        long t0 = System.nanoTime();
        List<Row> rows = null;
        try {
            rows = delegate.query(sql, params);
            return rows;
        } finally {
            int n = rows == null ? 0 : rows.size();
            add(n > READ_ROWS ? "reads" : "small_queries", t0, n);
        }
    }

    @Override
    public RowBinaryResult queryRowBinary(String sql, Map<String, String> params) {
        long t0 = System.nanoTime();
        RowBinaryResult r = null;
        try {
            r = delegate.queryRowBinary(sql, params);
            return r;
        } finally {
            int n = r == null ? 0 : r.rowCount();
            add(n > READ_ROWS ? "reads" : "small_queries", t0, n);
        }
    }

    @Override
    public void insert(InsertBatch batch) {
        long t0 = System.nanoTime();
        try {
            delegate.insert(batch);
        } finally {
            add("inserts", t0, batch.rowCount());
        }
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
}
