package dev.tokenledger.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL 17 from zonky's binaries, with its data in a directory that outlives the process.
 * If a server already runs on that directory (another tokenledger process, or one orphaned by a killed
 * JVM), it is attached to rather than started twice.
 */
final class EmbeddedPostgresServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

    private final EmbeddedPostgres owned; // null when attached to a server another process runs
    private final int port;
    private final Path dataDirectory;

    private EmbeddedPostgresServer(EmbeddedPostgres owned, int port, Path dataDirectory) {
        this.owned = owned;
        this.port = port;
        this.dataDirectory = dataDirectory;
    }

    static EmbeddedPostgresServer startOrAttach(Path dataDirectory) {
        try {
            Files.createDirectories(dataDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the PostgreSQL data directory " + dataDirectory, e);
        }
        Integer running = runningServerPort(dataDirectory);
        if (running != null) {
            LOG.info("attaching to the embedded PostgreSQL already running on {} (port {})", dataDirectory, running);
            return new EmbeddedPostgresServer(null, running, dataDirectory);
        }
        try {
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(false)
                    // The owner stops it after its own shutdown, not in a JVM hook racing the service's.
                    .setRegisterShutdownHook(false)
                    // zonky turns durability off by default; a ledger cannot.
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on")
                    .setServerConfig("max_connections", "200")
                    .setServerConfig("timezone", "UTC")
                    .start();
            return new EmbeddedPostgresServer(postgres, postgres.getPort(), dataDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + dataDirectory, e);
        }
    }

    /** The port of a live server on this data directory, read from its postmaster.pid, or null. */
    private static Integer runningServerPort(Path dataDirectory) {
        Path pidFile = dataDirectory.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return null;
        }
        try {
            List<String> lines = Files.readAllLines(pidFile);
            if (lines.size() < 4) {
                return null;
            }
            int port = Integer.parseInt(lines.get(3).trim());
            Properties props = new Properties();
            props.setProperty("user", "postgres");
            props.setProperty("connectTimeout", "2");
            try (Connection ignored = DriverManager.getConnection(jdbcUrl(port, "postgres"), props)) {
                return port;
            }
        } catch (IOException | NumberFormatException | SQLException e) {
            return null; // a stale pid file: the server is not running
        }
    }

    static String jdbcUrl(int port, String database) {
        return "jdbc:postgresql://localhost:" + port + "/" + database;
    }

    int port() {
        return port;
    }

    String jdbcUrl(String database) {
        return jdbcUrl(port, database);
    }

    Path dataDirectory() {
        return dataDirectory;
    }

    boolean ownsServer() {
        return owned != null;
    }

    @Override
    public void close() {
        if (owned != null) {
            try {
                owned.close();
            } catch (IOException e) {
                LOG.warn("embedded PostgreSQL did not stop cleanly", e);
            }
        }
    }
}
