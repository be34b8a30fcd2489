package dev.tokenledger.clickhouse;

import static java.lang.foreign.ValueLayout.ADDRESS;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chDB engine of this process, and the one deliberate static mutable in tokenledger.
 *
 * <p>Why static: chDB is a process-wide singleton by construction. The library holds one engine with
 * one data path per process, and closing the last connection tears that engine down (merges and TTL
 * stop; a later connect boots a fresh engine). So this holder loads the library once, disables chDB's
 * signal handlers before the first connect (the JVM owns SIGSEGV: it turns null dereferences into
 * NullPointerExceptions and uses faults for safepoints), and opens an <em>anchor</em> connection that
 * is never closed, keeping the engine and its background work alive for the life of the process.
 * Every user of chDB then opens its own connection through {@link #connect}.
 *
 * <p>At JVM exit a shutdown hook closes every connection still open and calls {@code chdb_shutdown},
 * which stops chDB's threads. Without it the test JVM died at exit with SIGSEGV inside libchdb.so on
 * the JVM's VM thread (3 runs out of 3; 0 crashes with the hook). In chDB 26.7.3, once a MergeTree
 * table exists {@code chdb_shutdown} reports that some thread could not be stopped, and retrying does
 * not change that; the exit is clean all the same, so that report is only logged at debug level.
 */
final class ChdbEngine {
    private static final Logger log = LoggerFactory.getLogger(ChdbEngine.class);

    private static ChdbEngine instance; // guarded by ChdbEngine.class

    private final ChdbNative lib;
    private final Path dataDir;
    private final Set<ChdbConnection> open = ConcurrentHashMap.newKeySet();
    private boolean shutDown; // guarded by this
    @SuppressWarnings({"unused", "FieldCanBeLocal"}) // held, never used: its being open keeps the engine up
    private final ChdbConnection anchor;

    private ChdbEngine(ChdbNative lib, Path dataDir) {
        this.lib = lib;
        this.dataDir = dataDir;
        this.anchor = connect(List.of());
    }

    /** The engine on {@code dataDir}, started on first use. A second, different path is refused. */
    static synchronized ChdbEngine open(Path dataDir) {
        Path dir = dataDir.toAbsolutePath().normalize();
        if (instance != null) {
            if (!instance.dataDir.equals(dir)) {
                throw new IllegalStateException("chDB is already open on " + instance.dataDir
                        + " in this process; it supports one data path per process, so " + dir + " cannot be opened");
            }
            return instance;
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the chDB data directory " + dir, e);
        }
        long started = System.nanoTime();
        Path library = ChdbLibrary.locate();
        ChdbNative lib = ChdbNative.load(library);
        lib.setSignalHandlersEnabled(false);
        long loaded = System.nanoTime();
        instance = new ChdbEngine(lib, dir);
        Runtime.getRuntime().addShutdownHook(new Thread(instance::shutdown, "chdb-shutdown"));
        log.info("chDB {} loaded from {} in {} ms, engine started on {} in {} ms", ChdbLibrary.VERSION, library,
                (loaded - started) / 1_000_000, dir, (System.nanoTime() - loaded) / 1_000_000);
        return instance;
    }

    Path dataDir() {
        return dataDir;
    }

    /**
     * A new connection (session) on this engine. {@code settings} become per-connection query settings,
     * exactly as if the session had run {@code SET name = value}.
     */
    synchronized ChdbConnection connect(List<Setting> settings) {
        if (shutDown) {
            throw new IllegalStateException("chDB has been shut down (the JVM is exiting)");
        }
        List<String> args = new ArrayList<>();
        args.add("chdb");
        args.add("--path=" + dataDir);
        for (Setting s : settings) {
            args.add("--" + s.name() + "=" + s.value());
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment argv = arena.allocate(ADDRESS, args.size() + 1L);
            for (int i = 0; i < args.size(); i++) {
                argv.setAtIndex(ADDRESS, i, arena.allocateFrom(args.get(i)));
            }
            MemorySegment connection = lib.connect(args.size(), argv);
            if (connection.equals(MemorySegment.NULL)) {
                throw new ClickHouseException("chDB refused the connection (arguments " + args.subList(1, args.size()) + ")", null, null);
            }
            ChdbConnection opened = new ChdbConnection(lib, connection, open::remove);
            open.add(opened);
            return opened;
        }
    }

    /** Closes every connection (waiting for calls in flight) and stops chDB's threads. */
    private synchronized void shutdown() {
        shutDown = true;
        List.copyOf(open).forEach(ChdbConnection::close);
        if (lib.shutdown() != 0) {
            log.debug("chdb_shutdown could not stop every chDB thread (usual once MergeTree tables exist); exiting anyway");
        }
    }

    /** A query-level setting given to a connection. */
    record Setting(String name, String value) {
        Setting {
            Identifiers.requireName(name, "setting name");
        }
    }
}
