package dev.tokenledger.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.jobrunr.storage.sql.common.DatabaseCreator;
import org.jobrunr.storage.sql.postgres.PostgresStorageProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way to reach PostgreSQL: a HikariCP pool on either a real server ({@code TOKENLEDGER_PG_URL})
 * or an embedded PostgreSQL 17 whose data persists under tokenledger's home. {@link #migrate()} brings
 * a fresh database fully up in one call: tokenledger's tables (Flyway, {@code db/postgres}) and then
 * JobRunr's own tables (JobRunr's migrations, tracked by JobRunr in {@code jobrunr_migrations}).
 */
public final class PostgresDatabase implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresDatabase.class);
    public static final String MIGRATIONS_LOCATION = "classpath:db/postgres";

    private final HikariDataSource dataSource;
    private final EmbeddedPostgresServer embedded; // null for a real server
    private final String description;

    private PostgresDatabase(HikariDataSource dataSource, EmbeddedPostgresServer embedded, String description) {
        this.dataSource = dataSource;
        this.embedded = embedded;
        this.description = description;
    }

    public static PostgresDatabase open(PostgresSettings settings) {
        if (settings.isEmbedded()) {
            EmbeddedPostgresServer server = EmbeddedPostgresServer.startOrAttach(settings.home().resolve("postgres"));
            try {
                ensureDatabase(server, "tokenledger");
                HikariDataSource pool = pool(server.jdbcUrl("tokenledger"), "postgres", null, settings);
                return new PostgresDatabase(pool, server, "embedded PostgreSQL on port " + server.port()
                        + " (data in " + server.dataDirectory() + ")");
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
        }
        HikariDataSource pool = pool(settings.url(), settings.user(), settings.password(), settings);
        return new PostgresDatabase(pool, null, "PostgreSQL at " + withoutCredentials(settings.url()));
    }

    /** Wraps an existing pool (tests create one database per class on a shared server). */
    public static PostgresDatabase of(HikariDataSource dataSource, String description) {
        return new PostgresDatabase(dataSource, null, description);
    }

    static HikariDataSource pool(String url, String user, String password, PostgresSettings settings) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("tokenledger-pg");
        config.setJdbcUrl(url);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(settings.maxPoolSize());
        config.setMinimumIdle(2);
        config.setConnectionTimeout(settings.connectionTimeout().toMillis());
        config.setValidationTimeout(Math.min(settings.connectionTimeout().toMillis(), 2_000));
        // Fail fast at start with the real cause rather than on first use.
        config.setInitializationFailTimeout(settings.connectionTimeout().toMillis());
        config.addDataSourceProperty("connectTimeout", String.valueOf(settings.connectionTimeout().toSeconds() + 1));
        config.addDataSourceProperty("reWriteBatchedInserts", "true");
        config.addDataSourceProperty("ApplicationName", "tokenledger");
        return new HikariDataSource(config);
    }

    private static void ensureDatabase(EmbeddedPostgresServer server, String name) {
        var props = new java.util.Properties();
        props.setProperty("user", "postgres");
        try (Connection c = java.sql.DriverManager.getConnection(server.jdbcUrl("postgres"), props);
             Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'")) {
                if (rs.next()) {
                    return;
                }
            }
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database '" + name + "' on the embedded PostgreSQL", e);
        }
    }

    static String withoutCredentials(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** The JDBC URL of the pool (credentials are never part of it). */
    public String jdbcUrl() {
        return dataSource.getJdbcUrl();
    }

    public boolean isEmbedded() {
        return embedded != null;
    }

    /** Where this database is, for logs and health output; never contains a password. */
    public String description() {
        return description;
    }

    /** Applies tokenledger's Flyway migrations, then JobRunr's. Safe to call on every start. */
    public MigrateResult migrate() {
        return migrate(dataSource, true);
    }

    /**
     * Applies tokenledger's Flyway migrations to {@code dataSource} and, when {@code jobRunrTables}, JobRunr's own
     * (skipped when the jobs live in a host's JobRunr, whose storage provider owns its tables). Safe on every start.
     */
    public static MigrateResult migrate(DataSource dataSource, boolean jobRunrTables) {
        MigrateResult result = Flyway.configure()
                .dataSource(dataSource)
                .locations(MIGRATIONS_LOCATION)
                .load()
                .migrate();
        if (result.migrationsExecuted > 0) {
            LOG.info("applied {} PostgreSQL migration(s); schema now at version {}", result.migrationsExecuted,
                    result.targetSchemaVersion);
        }
        if (jobRunrTables) {
            new DatabaseCreator(dataSource, PostgresStorageProvider.class).runMigrations();
        }
        return result;
    }

    public String serverVersion() {
        try (Connection c = dataSource.getConnection();
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW server_version")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the PostgreSQL version from " + description, e);
        }
    }

    @Override
    public void close() {
        dataSource.close();
        if (embedded != null) {
            embedded.close();
        }
    }
}
