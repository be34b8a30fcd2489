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
            Path dir = Files.createTempDirectory("tokenledger-test-pg");
            EmbeddedPostgresServer embedded = EmbeddedPostgresServer.startOrAttach(dir);
            Runtime.getRuntime().addShutdownHook(new Thread(embedded::close));
            return new Server("jdbc:postgresql://localhost:" + embedded.port() + "/", "postgres", null,
                    "embedded PostgreSQL on port " + embedded.port());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
