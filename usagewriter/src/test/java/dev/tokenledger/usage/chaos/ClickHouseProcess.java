package dev.tokenledger.usage.chaos;

import dev.tokenledger.clickhouse.ChdbServerProcess;
import dev.tokenledger.clickhouse.ClickHouseMigrations;
import dev.tokenledger.clickhouse.ServerClickHouse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A ClickHouse server the suite can crash: chDB behind ClickHouse's HTTP interface in a JVM of its own
 * ({@link ChdbServerProcess}), on its own data directory and a fixed port. {@link #kill()} is SIGKILL:
 * clients then get refused connections until {@link #start()} brings it back on the same port and data.
 */
final class ClickHouseProcess implements AutoCloseable {
    private final Path dataDir;
    private final int port;
    private final String name;
    private int generation;
    private ChildJvm process;

    private final CommitWindowHook hook; // null: no hook

    private ClickHouseProcess(String name, Path dataDir, int port, CommitWindowHook hook) {
        this.name = name;
        this.dataDir = dataDir;
        this.port = port;
        this.hook = hook;
    }

    static ClickHouseProcess start(String name, Path dataDir) {
        ClickHouseProcess ch = new ClickHouseProcess(name, dataDir.toAbsolutePath(), freePort(), null);
        ch.start();
        return ch;
    }

    /**
     * A server that {@code hook} can kill inside a table's commit window (see {@link CommitWindowHook}): the real
     * process dies with SIGKILL between writing an insert's token to the deduplication log and committing its part.
     */
    static ClickHouseProcess startWithCommitHook(String name, Path dataDir, CommitWindowHook hook) {
        ClickHouseProcess ch = new ClickHouseProcess(name, dataDir.toAbsolutePath(), freePort(), hook);
        ch.start();
        return ch;
    }

    synchronized void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("ClickHouse is already running");
        }
        process = ChildJvm.start(name + "-clickhouse-" + generation++, ChdbServerProcess.class, List.of("-Xmx512m"),
                List.of(dataDir.toString(), Integer.toString(port)), hook == null ? java.util.Map.of() : hook.environment(),
                Duration.ofSeconds(90));
    }

    /** Whether the server process is running (a hook may have killed it). */
    synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Waits until the process has ended by itself (a hook killed it); false if it still runs at the deadline. */
    boolean awaitDeath(Duration timeout) {
        ChildJvm p;
        synchronized (this) {
            p = process;
        }
        try {
            p.awaitExit(timeout);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** SIGKILL: in-flight queries and inserts die with the process. */
    synchronized void kill() {
        process.kill();
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    /** Client settings for {@code database} on this server (responses uncompressed, as the endpoint answers). */
    ServerClickHouse.Settings settings(String database) {
        return ServerClickHouse.Settings.of(url(), "default", "", database).withCompressServerResponse(false);
    }

    /** Creates {@code database} and applies tokenledger's migrations to it. */
    ServerClickHouse.Settings migratedDatabase(String database) {
        ServerClickHouse.Settings settings = settings(database);
        try (ServerClickHouse ch = ServerClickHouse.open(settings)) {
            new ClickHouseMigrations(ch).migrate();
        }
        return settings;
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() {
        if (process != null) {
            process.close();
        }
    }
}
