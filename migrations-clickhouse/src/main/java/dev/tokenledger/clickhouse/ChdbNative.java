package dev.tokenledger.clickhouse;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * The handful of chDB C functions tokenledger calls (see chdb-core {@code programs/local/chdb.h}), bound
 * through the Foreign Function &amp; Memory API: no JNI and no C glue to build. Each method is a thin,
 * typed wrapper over one C function; memory and error handling live in {@link ChdbConnection}.
 *
 * <p>{@code chdb_connection} is an opaque pointer; {@code chdb_connect} returns a pointer <em>to</em> it,
 * which {@code chdb_close_conn} takes back. {@code size_t} is {@code long} on the 64-bit Linux targets
 * chDB ships for.
 *
 * <p>Loading a library and binding its functions are "restricted" FFM operations: the JVM must run with
 * {@code --enable-native-access=ALL-UNNAMED} (or this module's name), which the build and launcher pass.
 */
@SuppressWarnings("restricted") // native access is this class's purpose; see above
final class ChdbNative {
    private final MethodHandle setSignalHandlersEnabled;
    private final MethodHandle connect;
    private final MethodHandle closeConn;
    private final MethodHandle queryN;
    private final MethodHandle queryWithParamsN;
    private final MethodHandle resultBuffer;
    private final MethodHandle resultLength;
    private final MethodHandle resultError;
    private final MethodHandle destroyQueryResult;
    private final MethodHandle streamInsertN;
    private final MethodHandle streamAppend;
    private final MethodHandle streamDone;
    private final MethodHandle streamInsertError;
    private final MethodHandle destroyInsertStream;
    private final MethodHandle shutdown;

    private ChdbNative(SymbolLookup lib) {
        Linker linker = Linker.nativeLinker();
        setSignalHandlersEnabled = bind(linker, lib, "chdb_set_signal_handlers_enabled", FunctionDescriptor.ofVoid(JAVA_INT));
        connect = bind(linker, lib, "chdb_connect", FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS));
        closeConn = bind(linker, lib, "chdb_close_conn", FunctionDescriptor.ofVoid(ADDRESS));
        queryN = bind(linker, lib, "chdb_query_n",
                FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG));
        queryWithParamsN = bind(linker, lib, "chdb_query_with_params_n", FunctionDescriptor.of(ADDRESS,
                ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
        resultBuffer = bind(linker, lib, "chdb_result_buffer", FunctionDescriptor.of(ADDRESS, ADDRESS));
        resultLength = bind(linker, lib, "chdb_result_length", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        resultError = bind(linker, lib, "chdb_result_error", FunctionDescriptor.of(ADDRESS, ADDRESS));
        destroyQueryResult = bind(linker, lib, "chdb_destroy_query_result", FunctionDescriptor.ofVoid(ADDRESS));
        streamInsertN = bind(linker, lib, "chdb_stream_insert_n",
                FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG));
        streamAppend = bind(linker, lib, "chdb_stream_append", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
        streamDone = bind(linker, lib, "chdb_stream_done", FunctionDescriptor.of(ADDRESS, ADDRESS));
        streamInsertError = bind(linker, lib, "chdb_stream_insert_error", FunctionDescriptor.of(ADDRESS, ADDRESS));
        destroyInsertStream = bind(linker, lib, "chdb_destroy_insert_stream", FunctionDescriptor.ofVoid(ADDRESS));
        shutdown = bind(linker, lib, "chdb_shutdown", FunctionDescriptor.of(JAVA_INT));
    }

    /** Loads the library for the life of the process (a global arena: it is never unloaded). */
    static ChdbNative load(Path library) {
        return new ChdbNative(SymbolLookup.libraryLookup(library, Arena.global()));
    }

    private static MethodHandle bind(Linker linker, SymbolLookup lib, String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = lib.find(name).orElseThrow(() -> new IllegalStateException(
                "libchdb.so has no symbol " + name + ": is it chDB " + ChdbLibrary.VERSION + "?"));
        return linker.downcallHandle(symbol, descriptor);
    }

    void setSignalHandlersEnabled(boolean enabled) {
        try {
            setSignalHandlersEnabled.invokeExact(enabled ? 1 : 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Returns the {@code chdb_connection*}, or NULL on failure. */
    MemorySegment connect(int argc, MemorySegment argv) {
        try {
            return (MemorySegment) connect.invokeExact(argc, argv);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void closeConn(MemorySegment connectionPointer) {
        try {
            closeConn.invokeExact(connectionPointer);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment queryN(MemorySegment conn, MemorySegment query, long queryLen, MemorySegment format, long formatLen) {
        try {
            return (MemorySegment) queryN.invokeExact(conn, query, queryLen, format, formatLen);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment queryWithParamsN(MemorySegment conn, MemorySegment query, long queryLen, MemorySegment format,
                                   long formatLen, MemorySegment names, MemorySegment nameLens,
                                   MemorySegment values, MemorySegment valueLens, long count) {
        try {
            return (MemorySegment) queryWithParamsN.invokeExact(conn, query, queryLen, format, formatLen,
                    names, nameLens, values, valueLens, count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment resultBuffer(MemorySegment result) {
        try {
            return (MemorySegment) resultBuffer.invokeExact(result);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    long resultLength(MemorySegment result) {
        try {
            return (long) resultLength.invokeExact(result);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment resultError(MemorySegment result) {
        try {
            return (MemorySegment) resultError.invokeExact(result);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void destroyQueryResult(MemorySegment result) {
        try {
            destroyQueryResult.invokeExact(result);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment streamInsertN(MemorySegment conn, MemorySegment query, long queryLen, MemorySegment format, long formatLen) {
        try {
            return (MemorySegment) streamInsertN.invokeExact(conn, query, queryLen, format, formatLen);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Returns 0 (CHDBSuccess) or 1 (CHDBError). */
    int streamAppend(MemorySegment stream, MemorySegment data, long len) {
        try {
            return (int) streamAppend.invokeExact(stream, data, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment streamDone(MemorySegment stream) {
        try {
            return (MemorySegment) streamDone.invokeExact(stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment streamInsertError(MemorySegment stream) {
        try {
            return (MemorySegment) streamInsertError.invokeExact(stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void destroyInsertStream(MemorySegment stream) {
        try {
            destroyInsertStream.invokeExact(stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Joins every chDB thread; all connections must be closed first. Returns 0 on success. */
    int shutdown() {
        try {
            return (int) shutdown.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }
}
