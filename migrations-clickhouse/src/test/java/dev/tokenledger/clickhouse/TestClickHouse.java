package dev.tokenledger.clickhouse;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * ClickHouse for tests, in any module: a fresh database, unique per call, with tokenledger's migrations
 * applied. Close the returned instance when the test class is done (for example with JUnit's
 * {@code @AutoClose}). On a shared server the database is dropped then; chDB's and a container's are
 * left for inspection (they go with {@code target/} and the container).
 *
 * <ul>
 *   <li>{@link #embedded(String)}: chDB in this JVM. One engine per test JVM, on
 *       {@code target/tokenledger-chdb/jvm-<pid>} (chDB allows one data path per process).</li>
 *   <li>{@link #server(String)}: the official Java client over HTTP, against, in order of preference,
 *       the server at {@code TOKENLEDGER_CLICKHOUSE_URL} (with {@code TOKENLEDGER_CLICKHOUSE_USER} /
 *       {@code _PASSWORD}); a Testcontainers ClickHouse if a Docker engine answers; else
 *       {@link ChdbHttpEndpoint}, the same chDB engine behind ClickHouse's HTTP interface. The choice is
 *       made once per JVM and printed with the reason.</li>
 * </ul>
 */
public final class TestClickHouse {
    private TestClickHouse() {
    }

    /** A fresh database on the test JVM's chDB engine, migrated. */
    public static ClickHouse embedded(String testName) {
        return migrated(EmbeddedClickHouse.open(EmbeddedEngine.DATA_DIR, freshDatabaseName(testName)));
    }

    /** A fresh database on this JVM's test server, through client-v2, migrated. */
    public static ClickHouse server(String testName) {
        TestServers.Target target = TestServers.TARGET;
        ClickHouse server = ServerClickHouse.open(target.settings().withDatabase(freshDatabaseName(testName)));
        return migrated(target.sharedServer() ? new DroppedOnClose(server) : server);
    }

    /**
     * Settings for a fresh, migrated database on this JVM's test server, for a test that hands them to
     * another process (a worker JVM it kills).
     */
    public static ServerClickHouse.Settings serverSettings(String testName) {
        ServerClickHouse.Settings settings = TestServers.TARGET.settings().withDatabase(freshDatabaseName(testName));
        try (ClickHouse server = ServerClickHouse.open(settings)) {
            new ClickHouseMigrations(server).migrate();
        }
        return settings;
    }

    /** The one chDB data directory of this test JVM (chDB cannot open a second one). */
    static Path engineDataDir() {
        return EmbeddedEngine.DATA_DIR;
    }

    private static ClickHouse migrated(ClickHouse clickHouse) {
        try {
            new ClickHouseMigrations(clickHouse).migrate();
            return clickHouse;
        } catch (RuntimeException e) {
            clickHouse.close();
            throw e;
        }
    }

    /** {@code t_<test name>_<random>}: readable in a shared server, unique per call. */
    static String freshDatabaseName(String testName) {
        String readable = testName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_").replaceAll("^_|_$", "");
        if (readable.length() > 40) {
            readable = readable.substring(0, 40);
        }
        byte[] random = new byte[4];
        ThreadLocalRandom.current().nextBytes(random);
        return "t_" + readable + "_" + HexFormat.of().formatHex(random);
    }

    /** Holder idiom: the directory is fixed on first use and shared by the whole JVM. */
    private static final class EmbeddedEngine {
        static final Path DATA_DIR = Path.of("target", "tokenledger-chdb", "jvm-" + ProcessHandle.current().pid())
                .toAbsolutePath();
    }
}
