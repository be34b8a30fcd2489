package dev.tokenledger.clickhouse;

import java.util.List;
import java.util.Map;

/**
 * What tokenledger needs from ClickHouse, and nothing more: run a statement, query to rows (as text for
 * small results, as RowBinary for large ones), and insert one batch exactly once. Two real backends
 * implement it: {@code server} (the official Java client against a ClickHouse server) and {@code embedded}
 * (chDB in-process). Every instance is bound to one database; unqualified table names resolve there.
 */
public interface ClickHouse extends AutoCloseable {

    /** Runs a statement that returns no rows (DDL, ALTER, OPTIMIZE, TRUNCATE ...). */
    void execute(String sql);

    /**
     * Runs a query and returns all its rows. {@code params} binds ClickHouse's {@code {name:Type}}
     * placeholders on the server side; values are never spliced into the SQL text. Values are plain
     * text as the type would be written ({@code "42"}, {@code "2026-01-31"}, {@code "it's"}); the backend
     * adds the escaping ClickHouse expects of parameter values.
     */
    List<Row> query(String sql, Map<String, String> params);

    default List<Row> query(String sql) {
        return query(sql, Map.of());
    }

    /**
     * Runs a query and returns its rows as {@code RowBinaryWithNamesAndTypes}, decoded in place: the binary
     * path for large results (hundreds of thousands of rows), where {@link #query} would parse text into
     * a map per row. {@code params} bind {@code {name:Type}} placeholders exactly as for {@link #query}.
     * The whole result is read into memory and checked before this returns; see {@link RowBinaryResult}
     * for what it decodes and guarantees. The SQL must not choose another format with its own
     * {@code FORMAT} clause.
     *
     * <p>Both backends implement it; a wrapper around a backend should delegate it.
     *
     * @throws ClickHouseException      the engine rejected the query, or could not be reached
     * @throws IllegalArgumentException a result column has a type {@link RowBinaryResult} does not decode
     *                                  (select it as another type, e.g. {@code toString(x)})
     */
    default RowBinaryResult queryRowBinary(String sql, Map<String, String> params) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not read RowBinary");
    }

    default RowBinaryResult queryRowBinary(String sql) {
        return queryRowBinary(sql, Map.of());
    }

    /**
     * Inserts one batch. The backend always sends {@code insert_deduplicate=1},
     * {@code deduplicate_blocks_in_dependent_materialized_views=1} and {@code async_insert=0} along with
     * the batch's deduplication token, so a repeated batch is dropped by the table and by every
     * materialized view that reads it; and {@code input_format_skip_unknown_fields=0}, so a column the
     * table does not have fails the insert instead of being dropped; and {@code distributed_foreground_insert=1}, so
     * an insert through a cluster's Distributed table is on its shard when this returns. Failures throw
     * {@link ClickHouseException}.
     */
    void insert(InsertBatch batch);

    /**
     * This ClickHouse with {@code settings} ({@code "name = value, ..."}) appended as a {@code SETTINGS} clause to every
     * query: for asking the same question under other settings, such as {@code optimize_use_projections = 0}. The
     * queries must not end with a clause of their own after which {@code SETTINGS} cannot follow ({@code FORMAT},
     * {@code SETTINGS}). Closing the returned instance leaves this one open.
     */
    default ClickHouse withQuerySettings(String settings) {
        return new QuerySettingsClickHouse(this, settings);
    }

    /** The engine's version, as {@code SELECT version()} reports it. */
    String version();

    /** Which backend this is, for logs, health checks and reports. */
    Backend backend();

    /** The database this instance is bound to. */
    String database();

    @Override
    void close();

    enum Backend {
        SERVER, EMBEDDED
    }
}
