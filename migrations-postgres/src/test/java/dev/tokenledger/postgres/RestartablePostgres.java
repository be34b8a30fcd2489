package dev.tokenledger.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;

/**
 * A PostgreSQL server of a test's own that the test can stop and start again on the same port and data,
 * to inject a real database outage (connections refused, then a server that comes back).
 */
public final class RestartablePostgres implements AutoCloseable {
    private final Path dataDirectory;
    private final int port;
    private EmbeddedPostgres server;

    private RestartablePostgres(Path dataDirectory, int port) {
        this.dataDirectory = dataDirectory;
        this.port = port;
    }

    public static RestartablePostgres start(Path dataDirectory) {
        RestartablePostgres pg = new RestartablePostgres(dataDirectory, freePort());
        pg.startServer();
        return pg;
    }

    public synchronized void startServer() {
        try {
            server = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(false)
                    .setPort(port)
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized void stopServer() {
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A pool on the server's default database, migrated; it reconnects once the server is back. */
    public PostgresDatabase database() {
        PostgresSettings settings = new PostgresSettings(jdbcUrl(), "postgres", null, null, 16,
                java.time.Duration.ofSeconds(2));
        PostgresDatabase db = PostgresDatabase.of(PostgresDatabase.pool(settings.url(), "postgres", null, settings),
                "restartable PostgreSQL on port " + port);
        db.migrate();
        return db;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + port + "/postgres";
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // already stopped
        }
    }
}
