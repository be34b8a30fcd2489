package dev.tokenledger.clickhouse;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * ClickHouse running inside this JVM: chDB, the ClickHouse engine as a library, called through the FFM
 * API. Same SQL, same MergeTree storage, same deduplication as a server, with no process to run.
 *
 * <p>All instances in a process share one engine on one data directory (a chDB rule); each instance has
 * its own connection bound to its own database, so several databases can be used side by side. Calls
 * on one instance are serialized; use several instances for parallelism. Closing an instance closes
 * its connection only: the engine stays up for the life of the process (see {@link ChdbEngine}).
 */
public final class EmbeddedClickHouse implements ClickHouse {
    static final String INSERT_FORMAT = "RowBinaryWithNamesAndTypes";

    private final ChdbConnection connection;
    private final String database;

    private EmbeddedClickHouse(ChdbConnection connection, String database) {
        this.connection = connection;
        this.database = database;
    }

    /**
     * Opens {@code database} (created if missing) on the process's chDB engine at {@code dataDir}, starting
     * the engine on first use. Every call in a process must name the same {@code dataDir}.
     */
    public static EmbeddedClickHouse open(Path dataDir, String database) {
        String quoted = Identifiers.quoted(database, "database name");
        ChdbConnection connection = ChdbEngine.open(dataDir).connect(List.of());
        try {
            connection.query("CREATE DATABASE IF NOT EXISTS " + quoted, TabSeparatedRows.FORMAT, Map.of());
            connection.query("USE " + quoted, TabSeparatedRows.FORMAT, Map.of());
            return new EmbeddedClickHouse(connection, database);
        } catch (RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    @Override
    public void execute(String sql) {
        connection.query(sql, TabSeparatedRows.FORMAT, Map.of());
    }

    @Override
    public List<Row> query(String sql, Map<String, String> params) {
        return TabSeparatedRows.parse(connection.query(sql, TabSeparatedRows.FORMAT, QueryParameters.escaped(params)));
    }

    @Override
    public RowBinaryResult queryRowBinary(String sql, Map<String, String> params) {
        return RowBinaryResult.parse(connection.query(RowBinaryResult.requireNoOtherFormat(sql), RowBinaryResult.FORMAT,
                QueryParameters.escaped(params)));
    }

    /**
     * Streams the batch's RowBinaryWithNamesAndTypes bytes through chDB's streaming insert, with the
     * exactly-once settings in the statement's SETTINGS clause.
     */
    @Override
    public void insert(InsertBatch batch) {
        String sql = "INSERT INTO " + Identifiers.quoted(batch.table(), "table name") + " "
                + ExactlyOnceSettings.sqlClause(ExactlyOnceSettings.all(batch));
        connection.insert(sql, INSERT_FORMAT, new ByteArrayInputStream(batch.rowBinary()));
    }

    @Override
    public String version() {
        return query("SELECT version() AS version").getFirst().string("version");
    }

    @Override
    public Backend backend() {
        return Backend.EMBEDDED;
    }

    @Override
    public String database() {
        return database;
    }

    @Override
    public void close() {
        connection.close();
    }

    @Override
    public String toString() {
        return "EmbeddedClickHouse[" + database + "]";
    }
}
