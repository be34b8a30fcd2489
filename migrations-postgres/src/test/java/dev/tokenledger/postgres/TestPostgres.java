package dev.tokenledger.postgres;

import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real PostgreSQL per test JVM, and a fresh database per test class, copied from a template that was
 * migrated once. The server is, in order of preference: {@code TOKENLEDGER_TEST_PG_URL} (an admin JDBC
 * URL of a real server, user/password in {@code TOKENLEDGER_TEST_PG_USER}/{@code _PASSWORD}), a
 * Testcontainers PostgreSQL 17 when a Docker engine answers, or an embedded PostgreSQL 17 (zonky).
 */
public final class TestPostgres {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final String TEMPLATE = "tl_template_" + ProcessHandle.current().pid();
    private static final String DIRECTORY_PREFIX = "tokenledger-test-pg";
    private static Server server;

    private TestPostgres() {
    }

    /** A new, fully migrated database (tokenledger's and JobRunr's tables), named after the test. */
    public static synchronized PostgresDatabase freshDatabase(String testName) {
        Server s = server();
        String name = ("tl_" + testName.replaceAll("[^A-Za-z0-9]", "_") + "_" + COUNTER.incrementAndGet())
                .toLowerCase();
        if (name.length() > 60) {
            name = name.substring(0, 50) + "_" + COUNTER.get();
        }
        s.admin("CREATE DATABASE " + name + " TEMPLATE " + TEMPLATE);
        PostgresSettings settings = new PostgresSettings(s.url(name), s.user, s.password, null, 24,
                PostgresSettings.DEFAULT_CONNECTION_TIMEOUT);
        HikariDataSource pool = PostgresDatabase.pool(settings.url(), s.user, s.password, settings);
        // A copy of the template would share its installation id; a schema migrated anew mints its own (V17).
        try (java.sql.Connection c = pool.getConnection(); java.sql.Statement st = c.createStatement()) {
            st.execute("UPDATE ledger_installation SET installation_id = gen_random_uuid()");
        } catch (java.sql.SQLException e) {
            pool.close();
            throw new IllegalStateException("cannot mint the installation id of " + name, e);
        }
        return PostgresDatabase.of(pool, "test database " + name + " on " + s.description);
    }

    /** The JDBC URL of a database on the shared test server (for tests that need their own connections). */
    public static synchronized String jdbcUrl(String database) {
        return server().url(database);
    }

    private static Server server() {
        if (server == null) {
            server = startServer();
            server.admin("CREATE DATABASE " + TEMPLATE);
            PostgresSettings settings = new PostgresSettings(server.url(TEMPLATE), server.user, server.password,
                    null, 2, PostgresSettings.DEFAULT_CONNECTION_TIMEOUT);
            try (PostgresDatabase template = PostgresDatabase.of(
                    PostgresDatabase.pool(settings.url(), server.user, server.password, settings), TEMPLATE)) {
                template.migrate();
            }
        }
        return server;
    }

    private static Server startServer() {
        String url = System.getenv("TOKENLEDGER_TEST_PG_URL");
        if (url != null && !url.isBlank()) {
            System.out.println("[TestPostgres] using the server at TOKENLEDGER_TEST_PG_URL");
            String base = url.substring(0, url.lastIndexOf('/') + 1);
            return new Server(base, System.getenv("TOKENLEDGER_TEST_PG_USER"),
                    System.getenv("TOKENLEDGER_TEST_PG_PASSWORD"), "TOKENLEDGER_TEST_PG_URL");
        }
        if (DockerPostgres.dockerAvailable()) {
            return DockerPostgres.start();
        }
        System.out.println("[TestPostgres] Testcontainers path skipped: no Docker engine answers on this machine;"
                + " using an embedded PostgreSQL 17 (zonky)");
        try {
            sweepAbandonedDirectories();
            Path dir = Files.createTempDirectory(DIRECTORY_PREFIX);
            EmbeddedPostgresServer embedded = EmbeddedPostgresServer.startOrAttach(dir);
            // Each test JVM's server holds about 1.3 GB of data: stop it and delete its directory on exit.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                embedded.close();
                deleteTree(dir);
            }));
            return new Server("jdbc:postgresql://localhost:" + embedded.port() + "/", "postgres", null,
                    "embedded PostgreSQL on port " + embedded.port());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Deletes the directories of test servers whose JVM died without its shutdown hook (killed, or a test run cut
     * short): no live postmaster, and untouched for ten minutes (a JVM starting now has not written its pid yet).
     */
    private static void sweepAbandonedDirectories() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        java.time.Instant cutoff = java.time.Instant.now().minus(java.time.Duration.ofMinutes(10));
        try (var dirs = Files.newDirectoryStream(tmp, DIRECTORY_PREFIX + "*")) {
            for (Path dir : dirs) {
                if (Files.getLastModifiedTime(dir).toInstant().isBefore(cutoff) && !serverAlive(dir)) {
                    deleteTree(dir);
                }
            }
        } catch (IOException e) {
            System.out.println("[TestPostgres] could not sweep old test server directories: " + e);
        }
    }

    private static boolean serverAlive(Path dir) {
        Path pidFile = dir.resolve("postmaster.pid");
        try {
            if (!Files.exists(pidFile)) {
                return false;
            }
            long pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().strip());
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (IOException | RuntimeException e) {
            return true; // unreadable: leave it alone
        }
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.out.println("[TestPostgres] could not delete " + dir + ": " + e);
        }
    }

    record Server(String baseUrl, String user, String password, String description) {
        String url(String database) {
            return baseUrl + database;
        }

        void admin(String sql) {
            Properties props = new Properties();
            if (user != null) {
                props.setProperty("user", user);
            }
            if (password != null) {
                props.setProperty("password", password);
            }
            try (Connection c = DriverManager.getConnection(url("postgres"), props);
                 Statement st = c.createStatement()) {
                st.execute(sql);
            } catch (SQLException e) {
                throw new IllegalStateException("test server admin statement failed: " + sql, e);
            }
        }
    }
}
