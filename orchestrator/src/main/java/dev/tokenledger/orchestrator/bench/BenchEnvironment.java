package dev.tokenledger.orchestrator.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ClickHouseMigrations;
import dev.tokenledger.clickhouse.EmbeddedClickHouse;
import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.orchestrator.LedgerConfig;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.PostgresSettings;
import dev.tokenledger.pricing.Pricing;
import dev.tokenledger.pricing.PricingSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.InstantSource;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a benchmark run keeps its data, apart from everything else: on the embedded defaults a fresh
 * home {@code TOKENLEDGER_HOME/bench/run-ID} (its own PostgreSQL server and chDB data path), against
 * configured servers fresh databases {@code tlbench_ID_*}. Every scenario gets its own PostgreSQL database
 * (copied from a migrated template in a fraction of a second) and its own ClickHouse database, so
 * scenarios never see each other's rows. {@link #close()} drops all of it.
 */
final class BenchEnvironment implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BenchEnvironment.class);
    private static final Pattern JDBC_DATABASE = Pattern.compile("^(jdbc:postgresql://[^/?]*)(/[^?]*)?(\\?.*)?$");

    private final LedgerConfig base;
    private final String runId;
    private final Path runHome;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final PostgresDatabase admin;
    private final String pgUser;
    private final String pgPassword;
    private final String schemaTemplate;
    private final String ledgerTemplate;
    private final List<String> pgDatabases = new ArrayList<>();
    private final List<String> chDatabases = new ArrayList<>();
    private ClickHouse adminClickHouse;

    private BenchEnvironment(LedgerConfig base, String runId, Path runHome, FileChannel lockChannel, FileLock lock,
                             PostgresDatabase admin) {
        this.base = base;
        this.runId = runId;
        this.runHome = runHome;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.admin = admin;
        this.pgUser = base.postgres().isEmbedded() ? "postgres" : base.postgres().user();
        this.pgPassword = base.postgres().isEmbedded() ? null : base.postgres().password();
        this.schemaTemplate = databaseName("schema");
        this.ledgerTemplate = databaseName("ledger");
    }

    static BenchEnvironment open(LedgerConfig base) {
        String runId = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMddHHmmss")) + "_"
                + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
        Path benchRoot = base.home().resolve("bench");
        removeStaleRuns(benchRoot);
        Path runHome = benchRoot.resolve("run-" + runId);
        FileChannel channel = null;
        PostgresDatabase admin = null;
        try {
            Files.createDirectories(runHome);
            channel = FileChannel.open(runHome.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.lock();
            PostgresSettings pg = base.postgres().isEmbedded()
                    ? PostgresSettings.embedded(runHome).withMaxPoolSize(4)
                    : PostgresSettings.server(base.postgres().url(), base.postgres().user(), base.postgres().password())
                    .withMaxPoolSize(4);
            admin = PostgresDatabase.open(pg);
            BenchEnvironment env = new BenchEnvironment(base, runId, runHome, channel, lock, admin);
            env.createTemplates();
            return env;
        } catch (IOException e) {
            closeQuietly(admin, channel);
            throw new UncheckedIOException("cannot prepare the benchmark's directory under " + benchRoot, e);
        } catch (RuntimeException e) {
            closeQuietly(admin, channel);
            throw e;
        }
    }

    /** The base configuration (from the environment) the scenarios run with. */
    LedgerConfig base() {
        return base;
    }

    boolean embeddedPostgres() {
        return base.postgres().isEmbedded();
    }

    boolean embeddedClickHouse() {
        return base.embeddedClickHouse();
    }

    String describe() {
        return (embeddedPostgres() ? "embedded PostgreSQL" : "PostgreSQL " + base.postgres().url().replaceAll(
                "(?i)(password=)[^&]*", "$1***")) + " + " + (embeddedClickHouse() ? "embedded ClickHouse (chDB)"
                : "ClickHouse " + base.clickHouseServer().endpoint()) + "; data in " + runHome;
    }

    /**
     * A ledger configuration for one scenario: a fresh PostgreSQL database copied from the migrated
     * template (with the bundled price book loaded) and a fresh ClickHouse database, both named after
     * {@code scenario}. Everything else comes from the environment, as the service would run.
     */
    LedgerConfig freshLedgerConfig(String scenario) {
        String database = databaseName(scenario);
        createDatabase(database, ledgerTemplate);
        chDatabases.add(database);
        PostgresSettings pg = PostgresSettings.server(jdbcUrl(database), pgUser, pgPassword)
                .withMaxPoolSize(base.postgres().maxPoolSize())
                .withConnectionTimeout(base.postgres().connectionTimeout());
        ServerClickHouse.Settings ch = base.clickHouseServer() == null ? null
                : base.clickHouseServer().withDatabase(database);
        return new LedgerConfig(runHome, pg, ch, database, base.http(), base.dashboard(), base.pricing(),
                base.recorder(), base.writer(), base.workers(), base.jobRunrPoll(), base.budgets(),
                base.clickHouseTopology());
    }

    Ledger openLedger(String scenario, Ledger.Mode mode) {
        if (mode == Ledger.Mode.SERVICE) {
            throw new IllegalArgumentException("benchmarks run without the dashboard: use CLIENT or WORKER");
        }
        return Ledger.open(freshLedgerConfig(scenario), mode);
    }

    /** As {@link #openLedger(String, Ledger.Mode)}, serving the HTTP API with {@code http} (a scenario that drives it). */
    Ledger openLedger(String scenario, Ledger.Mode mode, LedgerConfig.Http http) {
        if (mode == Ledger.Mode.SERVICE) {
            throw new IllegalArgumentException("benchmarks run without the dashboard: use CLIENT or WORKER");
        }
        LedgerConfig c = freshLedgerConfig(scenario);
        return Ledger.open(new LedgerConfig(c.home(), c.postgres(), c.clickHouseServer(), c.clickHouseDatabase(), http,
                c.dashboard(), c.pricing(), c.recorder(), c.writer(), c.workers(), c.jobRunrPoll(), c.budgets(),
                c.clickHouseTopology()), mode);
    }

    /** A pool on a fresh, migrated PostgreSQL database; with an empty price book unless {@code priced}. */
    PostgresDatabase freshPostgres(String name, boolean priced, int poolSize) {
        String database = databaseName(name);
        createDatabase(database, priced ? ledgerTemplate : schemaTemplate);
        return PostgresDatabase.of(pool(database, poolSize), "benchmark database " + database);
    }

    /**
     * Another connection to ClickHouse on {@code database} (created and migrated if new). On chDB it is a
     * connection of its own, so it runs beside the ledger's instead of queueing behind it.
     */
    ClickHouse openClickHouse(String database, boolean migrate) {
        if (!chDatabases.contains(database)) {
            chDatabases.add(database);
        }
        ClickHouse ch = embeddedClickHouse() ? EmbeddedClickHouse.open(runHome.resolve("clickhouse"), database)
                : ServerClickHouse.open(base.clickHouseServer().withDatabase(database));
        if (migrate) {
            new ClickHouseMigrations(ch).migrate();
        }
        return ch;
    }

    /** The fresh ClickHouse database name for {@code name}. */
    String databaseName(String name) {
        return ("tlbench_" + runId + "_" + name.replaceAll("[^A-Za-z0-9]", "_")).toLowerCase(Locale.ROOT);
    }

    /** A directory on the file system of the embedded PostgreSQL's WAL (the run's home otherwise). */
    Path walFileSystem() {
        return runHome;
    }

    /** Measures CPU of this JVM and, when embedded, of PostgreSQL. */
    CpuMeter cpuMeter() {
        return new CpuMeter(embeddedPostgres() ? runHome.resolve("postgres") : null);
    }

    String postgresVersion() {
        return admin.serverVersion();
    }

    String clickHouseVersion() {
        return adminClickHouse().version();
    }

    private synchronized ClickHouse adminClickHouse() {
        if (adminClickHouse == null) {
            String db = databaseName("admin");
            adminClickHouse = openClickHouse(db, false);
        }
        return adminClickHouse;
    }

    private void createTemplates() {
        createDatabase(schemaTemplate, null);
        try (HikariDataSource pool = pool(schemaTemplate, 2)) {
            PostgresDatabase.of(pool, "benchmark template").migrate();
        }
        createDatabase(ledgerTemplate, schemaTemplate);
        try (HikariDataSource pool = pool(ledgerTemplate, 2);
             Pricing pricing = new Pricing(pool, noCacheCheck(base.pricing()), InstantSource.system())) {
            pricing.applyBundledSnapshotIfEmpty();
        }
    }

    static PricingSettings noCacheCheck(PricingSettings s) {
        return s.withCacheCheckInterval(Duration.ZERO);
    }

    private void createDatabase(String name, String template) {
        String sql = "CREATE DATABASE " + name + (template == null ? "" : " TEMPLATE " + template);
        for (int attempt = 1; ; attempt++) {
            try (Connection c = admin.dataSource().getConnection(); Statement st = c.createStatement()) {
                st.execute(sql);
                pgDatabases.add(name);
                return;
            } catch (SQLException e) {
                // A template's last connections may still be closing ("being accessed by other users").
                if (attempt >= 50 || !String.valueOf(e.getMessage()).contains("accessed by other users")) {
                    throw new IllegalStateException("cannot create the benchmark database " + name + ": "
                            + e.getMessage(), e);
                }
                sleep(100);
            }
        }
    }

    HikariDataSource pool(String database, int size) {
        return pool(database, size, base.postgres().connectionTimeout());
    }

    HikariDataSource pool(String database, int size, Duration connectionTimeout) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("tokenledger-bench");
        config.setJdbcUrl(jdbcUrl(database));
        config.setUsername(pgUser);
        config.setPassword(pgPassword);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(connectionTimeout.toMillis());
        config.addDataSourceProperty("ApplicationName", "tokenledger-bench");
        return new HikariDataSource(config);
    }

    /** The user the benchmark databases are reached as. */
    String pgUser() {
        return pgUser;
    }

    /** Its password, null for none (the embedded PostgreSQL). */
    String pgPassword() {
        return pgPassword;
    }

    String jdbcUrl(String database) {
        Matcher m = JDBC_DATABASE.matcher(admin.jdbcUrl());
        if (!m.matches()) {
            throw new IllegalStateException("cannot tell the database in the JDBC URL of " + admin.description());
        }
        return m.group(1) + "/" + database + (m.group(3) == null ? "" : m.group(3));
    }

    DataSource adminDataSource() {
        return admin.dataSource();
    }

    /** Drops every database this run created, stops the embedded PostgreSQL and removes the run's files. */
    @Override
    public void close() {
        if (adminClickHouse != null || !chDatabases.isEmpty()) {
            try {
                ClickHouse ch = adminClickHouse();
                for (String db : chDatabases) {
                    try {
                        ch.execute("DROP DATABASE IF EXISTS `" + db + "` SYNC");
                    } catch (RuntimeException e) {
                        LOG.warn("cannot drop the benchmark ClickHouse database {}: {}", db, e.getMessage());
                    }
                }
                ch.close();
            } catch (RuntimeException e) {
                LOG.warn("cannot clean up the benchmark ClickHouse databases: {}", e.getMessage());
            }
        }
        if (!embeddedPostgres()) {
            for (String db : pgDatabases.reversed()) {
                try (Connection c = admin.dataSource().getConnection(); Statement st = c.createStatement()) {
                    st.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
                } catch (SQLException e) {
                    LOG.warn("cannot drop the benchmark database {}: {}", db, e.getMessage());
                }
            }
        }
        admin.close();
        // chDB keeps its data path open until the JVM exits: its (now empty) directory is removed by the next run.
        deleteTree(runHome, runHome.resolve("clickhouse"));
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.debug("cannot release the benchmark lock", e);
        }
        if (!embeddedClickHouse()) {
            deleteTree(runHome, null);
        }
    }

    /** Removes what earlier runs left (chDB's directory, or a run killed half-way) unless a live run holds it. */
    private static void removeStaleRuns(Path benchRoot) {
        if (!Files.isDirectory(benchRoot)) {
            return;
        }
        try (var runs = Files.list(benchRoot)) {
            for (Path run : runs.filter(p -> p.getFileName().toString().startsWith("run-")).toList()) {
                Path lockFile = run.resolve(".lock");
                if (Files.exists(lockFile)) {
                    try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE);
                         FileLock l = ch.tryLock()) {
                        if (l == null) {
                            continue; // another benchmark is running on it
                        }
                    } catch (IOException | java.nio.channels.OverlappingFileLockException e) {
                        continue;
                    }
                }
                stopOrphanedPostgres(run.resolve("postgres"));
                deleteTree(run, null);
            }
        } catch (IOException e) {
            LOG.warn("cannot clean up earlier benchmark runs in {}: {}", benchRoot, e.getMessage());
        }
    }

    /** A run killed half-way leaves its embedded PostgreSQL running: ask it to stop before deleting its files. */
    private static void stopOrphanedPostgres(Path dataDir) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        try {
            long pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().trim());
            ProcessHandle.of(pid).ifPresent(p -> {
                if (p.info().command().map(c -> c.contains("postgres")).orElse(false)) {
                    p.destroy();
                    p.onExit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).exceptionally(t -> null).join();
                }
            });
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot stop an orphaned benchmark PostgreSQL in {}", dataDir, e);
        }
    }

    private static void deleteTree(Path root, Path keep) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    return dir.equals(keep) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    if (!file.getFileName().toString().equals(".lock") || keep == null) {
                        Files.deleteIfExists(file);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    if (keep == null || !keep.startsWith(dir)) {
                        try {
                            Files.deleteIfExists(dir);
                        } catch (java.nio.file.DirectoryNotEmptyException ignored) {
                            // the kept directory or the lock file is still inside
                        }
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warn("cannot remove benchmark files in {}: {}", root, e.getMessage());
        }
    }

    private static void closeQuietly(PostgresDatabase admin, FileChannel channel) {
        if (admin != null) {
            admin.close();
        }
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing more to do
            }
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
