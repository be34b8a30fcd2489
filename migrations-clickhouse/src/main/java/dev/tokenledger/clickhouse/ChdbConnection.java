package dev.tokenledger.clickhouse;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One chDB connection: a session with its own current database and settings on the shared engine.
 * chDB requires that calls on one connection never overlap, so every call holds {@link #lock}; separate
 * connections run in parallel. Every native result and insert stream is freed before a call returns,
 * error or not.
 */
@SuppressWarnings("restricted") // reinterpret: sizing pointers chDB returns (results, error strings)
final class ChdbConnection implements AutoCloseable {
    private static final int APPEND_CHUNK = 1 << 20;
    private static final byte[] PROBE_ANSWER = "1\n".getBytes(StandardCharsets.UTF_8);

    private final ChdbNative lib;
    private final MemorySegment connectionPointer; // chdb_connection*, as chdb_connect returned it
    private final ReentrantLock lock = new ReentrantLock();
    private final Consumer<ChdbConnection> onClose;
    private boolean closed;
    private String unusable; // why the connection refuses work, or null

    ChdbConnection(ChdbNative lib, MemorySegment connectionPointer, Consumer<ChdbConnection> onClose) {
        this.lib = lib;
        this.connectionPointer = connectionPointer.reinterpret(ADDRESS.byteSize());
        this.onClose = onClose;
    }

    /**
     * Runs one statement and returns its output in {@code format} (a FORMAT clause in the SQL wins).
     * {@code params} bind {@code {name:Type}} placeholders inside the engine, never as SQL text.
     */
    byte[] query(String sql, String format, Map<String, String> params) {
        lock.lock();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment conn = open();
            Bytes q = Bytes.of(arena, sql);
            Bytes f = Bytes.of(arena, format);
            MemorySegment result;
            if (params.isEmpty()) {
                result = lib.queryN(conn, q.segment(), q.length(), f.segment(), f.length());
            } else {
                int n = params.size();
                MemorySegment names = arena.allocate(ADDRESS, n);
                MemorySegment nameLens = arena.allocate(JAVA_LONG, n);
                MemorySegment values = arena.allocate(ADDRESS, n);
                MemorySegment valueLens = arena.allocate(JAVA_LONG, n);
                int i = 0;
                for (Map.Entry<String, String> p : params.entrySet()) {
                    Bytes name = Bytes.of(arena, p.getKey());
                    Bytes value = Bytes.of(arena, p.getValue());
                    names.setAtIndex(ADDRESS, i, name.segment());
                    nameLens.setAtIndex(JAVA_LONG, i, name.length());
                    values.setAtIndex(ADDRESS, i, value.segment());
                    valueLens.setAtIndex(JAVA_LONG, i, value.length());
                    i++;
                }
                result = lib.queryWithParamsN(conn, q.segment(), q.length(), f.segment(), f.length(),
                        names, nameLens, values, valueLens, n);
            }
            try {
                return consume(result);
            } catch (ClickHouseException e) {
                discardLeftoverOutput(arena, conn, e);
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Streams {@code data} into {@code insertSql} ({@code INSERT INTO t [SETTINGS ...]}, no FORMAT clause)
     * through chDB's streaming insert; the rows are committed when the stream is done.
     */
    void insert(String insertSql, String format, InputStream data) {
        lock.lock();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment conn = open();
            Bytes q = Bytes.of(arena, insertSql);
            Bytes f = Bytes.of(arena, format);
            MemorySegment stream = lib.streamInsertN(conn, q.segment(), q.length(), f.segment(), f.length());
            try {
                failIfStreamFailed(stream);
                MemorySegment chunk = arena.allocate(APPEND_CHUNK);
                byte[] buffer = new byte[APPEND_CHUNK];
                for (int n; (n = data.readNBytes(buffer, 0, APPEND_CHUNK)) > 0; ) {
                    MemorySegment.copy(buffer, 0, chunk, JAVA_BYTE, 0, n);
                    if (lib.streamAppend(stream, chunk, n) != 0) {
                        failIfStreamFailed(stream);
                        throw new ClickHouseException("chDB refused a chunk of the insert stream", null, null);
                    }
                }
                consume(lib.streamDone(stream));
            } catch (IOException e) {
                throw new UncheckedIOException("reading the rows to insert failed", e);
            } finally {
                lib.destroyInsertStream(stream); // cancels the insert if it was not done
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                lib.closeConn(connectionPointer);
                onClose.accept(this);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * chDB 26.7.3 keeps the output a query had produced before it failed (its header, even thousands of
     * rows) and puts it at the start of the connection's next result, where it would be read as that
     * result's own rows. Found by experiment: it is per connection; a DDL statement swallows it, while
     * another failing query or an insert leaves it in place. So after every failed query a probe runs
     * until it answers exactly {@code 1}; if it never does, the connection refuses further work rather
     * than hand out a polluted result.
     */
    private void discardLeftoverOutput(Arena arena, MemorySegment conn, ClickHouseException failure) {
        Bytes probe = Bytes.of(arena, "SELECT 1");
        Bytes format = Bytes.of(arena, "TSV");
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                byte[] out = consume(lib.queryN(conn, probe.segment(), probe.length(), format.segment(), format.length()));
                if (Arrays.equals(out, PROBE_ANSWER)) {
                    return;
                }
            } catch (ClickHouseException e) {
                failure.addSuppressed(e);
                break;
            }
        }
        unusable = "after the failure of a query (" + failure.getMessage().lines().findFirst().orElse("")
                + ") chDB kept returning its leftover output";
    }

    private MemorySegment open() {
        if (closed) {
            throw new IllegalStateException("this chDB connection is closed");
        }
        if (unusable != null) {
            throw new IllegalStateException("this chDB connection is unusable: " + unusable);
        }
        return connectionPointer.get(ADDRESS, 0);
    }

    /** Copies a result's output to the heap, or throws its error; frees the result either way. */
    private byte[] consume(MemorySegment result) {
        if (result.equals(MemorySegment.NULL)) {
            throw new ClickHouseException("chDB returned no result (connection closed?)", null, null);
        }
        try {
            MemorySegment error = lib.resultError(result);
            if (!error.equals(MemorySegment.NULL)) {
                throw ClickHouseException.fromEngineMessage(cString(error));
            }
            long length = lib.resultLength(result);
            if (length == 0) {
                return new byte[0];
            }
            return lib.resultBuffer(result).reinterpret(length).toArray(JAVA_BYTE);
        } finally {
            lib.destroyQueryResult(result);
        }
    }

    private void failIfStreamFailed(MemorySegment stream) {
        MemorySegment error = lib.streamInsertError(stream);
        if (!error.equals(MemorySegment.NULL)) {
            throw ClickHouseException.fromEngineMessage(cString(error));
        }
    }

    private static String cString(MemorySegment pointer) {
        return pointer.reinterpret(Long.MAX_VALUE).getString(0, StandardCharsets.UTF_8);
    }

    /** UTF-8 bytes in native memory, NUL-terminated for good measure though chDB is told the length. */
    private record Bytes(MemorySegment segment, long length) {
        static Bytes of(Arena arena, String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            MemorySegment segment = arena.allocate(utf8.length + 1L);
            MemorySegment.copy(utf8, 0, segment, JAVA_BYTE, 0, utf8.length);
            return new Bytes(segment, utf8.length);
        }
    }
}
