package dev.tokenledger.postgres;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where PostgreSQL is. With a {@code url} (from {@code TOKENLEDGER_PG_URL}) that server is used;
 * without one an embedded PostgreSQL 17 runs with its data under {@code home/postgres}, so it survives
 * restarts.
 *
 * @param url               JDBC URL of a real server, or null for the embedded one
 * @param user              user for {@code url}; ignored when embedded
 * @param password          password for {@code url} (from the environment or a file, never from code); may be null
 * @param home              tokenledger's home directory; the embedded server keeps its data below it
 * @param maxPoolSize       HikariCP maximum pool size
 * @param connectionTimeout how long a caller waits for a connection before failing
 */
public record PostgresSettings(String url, String user, String password, Path home, int maxPoolSize,
                               Duration connectionTimeout) {

    public static final int DEFAULT_MAX_POOL_SIZE = 16;
    public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(5);

    public PostgresSettings {
        if (url == null) {
            Objects.requireNonNull(home, "home is required for the embedded PostgreSQL");
        } else if (!url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("TOKENLEDGER_PG_URL must be a jdbc:postgresql: URL, got '"
                    + url.replaceAll("password=[^&]*", "password=***") + "'");
        }
        if (maxPoolSize < 2) {
            throw new IllegalArgumentException("maxPoolSize must be at least 2, got " + maxPoolSize);
        }
        Objects.requireNonNull(connectionTimeout, "connectionTimeout");
    }

    public static PostgresSettings embedded(Path home) {
        return new PostgresSettings(null, null, null, home, DEFAULT_MAX_POOL_SIZE, DEFAULT_CONNECTION_TIMEOUT);
    }

    public static PostgresSettings server(String url, String user, String password) {
        return new PostgresSettings(url, user, password, null, DEFAULT_MAX_POOL_SIZE, DEFAULT_CONNECTION_TIMEOUT);
    }

    public PostgresSettings withMaxPoolSize(int size) {
        return new PostgresSettings(url, user, password, home, size, connectionTimeout);
    }

    public PostgresSettings withConnectionTimeout(Duration timeout) {
        return new PostgresSettings(url, user, password, home, maxPoolSize, timeout);
    }

    public boolean isEmbedded() {
        return url == null;
    }

    @Override
    public String toString() {
        return "PostgresSettings[" + (isEmbedded() ? "embedded at " + home : url + " as " + user)
                + ", password=" + (password == null ? "none" : "***") + ", maxPoolSize=" + maxPoolSize
                + ", connectionTimeout=" + connectionTimeout + "]";
    }
}
