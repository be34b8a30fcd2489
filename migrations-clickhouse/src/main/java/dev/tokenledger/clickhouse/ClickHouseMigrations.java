package dev.tokenledger.clickhouse;

import dev.tokenledger.clickhouse.RowBinaryWriter.Column;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies tokenledger's versioned ClickHouse DDL ({@code db/clickhouse/V<n>__<name>.sql} on the
 * classpath, listed in order in {@code db/clickhouse/migrations.txt} because a directory inside a jar
 * cannot be listed reliably) to the database of a {@link ClickHouse}, on either backend.
 *
 * <p>Each applied file is recorded in {@value #HISTORY_TABLE} with the SHA-256 of its content. Applied
 * files are skipped; an applied file whose content changed is an error naming the file, because the
 * database no longer matches what the file says. ClickHouse has no transactional DDL, so the DDL files
 * are written to be re-runnable ({@code IF NOT EXISTS}): a run interrupted between a statement and its
 * record can simply be run again.
 *
 * <p>On a ClickHouse cluster ({@link ClickHouseTopology#cluster}) the database is made on every node, and each file's
 * statements run as {@link ClusterDdl} translates them ({@code ON CLUSTER}, replicated, with Distributed tables); the
 * checksum stays the file's. The history is then one {@code ReplicatedMergeTree} table that every node of the cluster
 * holds whole (one Keeper path for the cluster, not one per shard): the DDL it records ran on the whole cluster, so it
 * is a fact about the cluster, and a runner connected to any node reads the same history (see {@link ClusterDdl}: a
 * table without a partition key). Its record is deduplicated in Keeper by the same token, so two runners racing on one
 * file record it once.
 */
public final class ClickHouseMigrations {
    private static final Logger log = LoggerFactory.getLogger(ClickHouseMigrations.class);

    public static final String HISTORY_TABLE = "tokenledger_schema_migrations";
    static final String DEFAULT_LOCATION = "db/clickhouse";
    private static final Pattern FILE_NAME = Pattern.compile("V(\\d+)__([A-Za-z0-9_]+)\\.sql");
    private static final List<Column> HISTORY_COLUMNS = List.of(
            new Column("version", "UInt32"),
            new Column("name", "String"),
            new Column("checksum", "String"),
            new Column("applied_at", "DateTime64(3, 'UTC')"));

    /** One migration file: its version, file name and the SHA-256 (hex) of its content. */
    public record Migration(int version, String name, String checksum) {
    }

    private final ClickHouse clickHouse;
    private final ClickHouseTopology topology;
    private final String location;
    private final ClassLoader classLoader;
    private final Clock clock;

    public ClickHouseMigrations(ClickHouse clickHouse) {
        this(clickHouse, ClickHouseTopology.SINGLE_NODE);
    }

    public ClickHouseMigrations(ClickHouse clickHouse, ClickHouseTopology topology) {
        this(clickHouse, topology, DEFAULT_LOCATION, ClickHouseMigrations.class.getClassLoader(), Clock.systemUTC());
    }

    ClickHouseMigrations(ClickHouse clickHouse, String location, ClassLoader classLoader, Clock clock) {
        this(clickHouse, ClickHouseTopology.SINGLE_NODE, location, classLoader, clock);
    }

    ClickHouseMigrations(ClickHouse clickHouse, ClickHouseTopology topology, String location, ClassLoader classLoader,
                         Clock clock) {
        this.clickHouse = clickHouse;
        this.topology = topology;
        this.location = location;
        this.classLoader = classLoader;
        this.clock = clock;
    }

    /** Applies every migration not yet applied, in order, and returns those it applied. */
    public List<Migration> migrate() {
        if (topology.clustered()) {
            requireCluster();
            clickHouse.execute("CREATE DATABASE IF NOT EXISTS " + Identifiers.quoted(clickHouse.database(), "database name")
                    + topology.onCluster());
        }
        clickHouse.execute(historyTableDdl());
        Map<Integer, Migration> applied = applied();
        List<Migration> done = new ArrayList<>();
        for (Planned planned : plan(clickHouse.database())) {
            String file = planned.file();
            Migration migration = planned.migration();
            Migration before = applied.get(migration.version());
            if (before != null) {
                if (!before.checksum().equals(migration.checksum())) {
                    throw new IllegalStateException("migration " + file + " was changed after it was applied to database "
                            + clickHouse.database() + ": applied with sha-256 " + before.checksum() + ", the file now has "
                            + migration.checksum() + ". Applied migrations must not change; add a new V<n>__*.sql file instead.");
                }
                continue;
            }
            long started = System.nanoTime();
            for (String statement : planned.statements()) {
                try {
                    clickHouse.execute(statement);
                } catch (ClickHouseException e) {
                    throw new ClickHouseException("migration " + file + " failed: " + e.getMessage(),
                            e.code().isPresent() ? e.code().getAsInt() : null, e);
                }
            }
            record(migration);
            log.info("applied ClickHouse migration {} to {} in {} ms", file, clickHouse.database(),
                    (System.nanoTime() - started) / 1_000_000);
            done.add(migration);
        }
        return List.copyOf(done);
    }

    /**
     * The server must know the cluster, with every shard of weight 1: the months' shards are
     * {@link ClickHouseTopology#shardOf}, which is ClickHouse's routing only with equal weights. Checked before any DDL,
     * so a wrong name or topology changes nothing.
     */
    private void requireCluster() {
        String name = topology.cluster().orElseThrow();
        List<Row> shards = clickHouse.query("SELECT shard_num, any(shard_weight) AS weight FROM system.clusters"
                + " WHERE cluster = {c:String} GROUP BY shard_num ORDER BY shard_num", Map.of("c", name));
        if (shards.isEmpty()) {
            throw new IllegalStateException("the ClickHouse server of database " + clickHouse.database()
                    + " knows no cluster named " + name + " (system.clusters): define it in remote_servers on every node");
        }
        for (Row shard : shards) {
            if (shard.int64("weight") != 1) {
                throw new IllegalStateException("cluster " + name + " gives shard " + shard.int64("shard_num") + " weight "
                        + shard.int64("weight") + ": tokenledger sends month yyyymm to shard yyyymm % shards, which is"
                        + " ClickHouse's routing only when every shard has weight 1");
            }
        }
    }

    /** One listed file: what it is, and the statements it runs on this topology. */
    record Planned(String file, Migration migration, List<String> statements) {
        Planned {
            statements = List.copyOf(statements);
        }
    }

    /**
     * Every listed file with the statements it runs on this topology, applied or not: a cluster's translation of a
     * file depends on the tables the files before it made.
     */
    List<Planned> plan(String database) {
        ClusterDdl cluster = topology.clustered() ? new ClusterDdl(topology, database) : null;
        List<Planned> planned = new ArrayList<>();
        for (String file : listedFiles()) {
            String script = read(file);
            List<String> statements = SqlScript.statements(script);
            if (cluster != null) {
                try {
                    statements = statements.stream().flatMap(s -> cluster.translate(s).stream()).toList();
                } catch (IllegalArgumentException e) {
                    throw new IllegalStateException("migration " + file + ": " + e.getMessage(), e);
                }
            }
            planned.add(new Planned(file, describe(file, script), statements));
        }
        return planned;
    }

    /** The history table's DDL: on a cluster translated like a migration's (no partition key: every node holds it whole). */
    private String historyTableDdl() {
        String ddl = "CREATE TABLE IF NOT EXISTS " + HISTORY_TABLE
                + " (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC'))"
                + " ENGINE = MergeTree ORDER BY version"
                + " SETTINGS non_replicated_deduplication_window = 1000"; // so the record's token deduplicates
        return topology.clustered()
                ? new ClusterDdl(topology, clickHouse.database()).translate(ddl).getFirst()
                : ddl;
    }

    private Map<Integer, Migration> applied() {
        Map<Integer, Migration> applied = new LinkedHashMap<>();
        for (Row row : clickHouse.query("SELECT version, name, checksum FROM " + HISTORY_TABLE + " ORDER BY version, applied_at")) {
            int version = (int) row.int64("version");
            applied.putIfAbsent(version, new Migration(version, row.string("name"), row.string("checksum")));
        }
        return applied;
    }

    private void record(Migration migration) {
        RowBinaryWriter rows = new RowBinaryWriter(HISTORY_COLUMNS)
                .uint32(migration.version())
                .string(migration.name())
                .string(migration.checksum())
                .dateTime64Millis(clock.instant().truncatedTo(ChronoUnit.MILLIS));
        // The token names the file's content: two runners racing on the same file record it once (and
        // reading tolerates duplicates anyway).
        String token = HISTORY_TABLE + ":" + migration.version() + ":" + migration.checksum();
        clickHouse.insert(new InsertBatch(HISTORY_TABLE, rows.toBytes(), rows.rowCount(), token));
    }

    List<String> listedFiles() {
        List<String> files = new ArrayList<>();
        int previous = 0;
        for (String line : read("migrations.txt").split("\n")) {
            String file = line.strip();
            if (file.isEmpty() || file.startsWith("#")) {
                continue;
            }
            Matcher m = FILE_NAME.matcher(file);
            if (!m.matches()) {
                throw new IllegalStateException(location + "/migrations.txt lists " + file + ", which is not named V<n>__<name>.sql");
            }
            int version = Integer.parseInt(m.group(1));
            if (version <= previous) {
                throw new IllegalStateException(location + "/migrations.txt lists " + file + " after version " + previous
                        + ": versions must be listed in increasing order");
            }
            previous = version;
            files.add(file);
        }
        return files;
    }

    private static Migration describe(String file, String script) {
        Matcher m = FILE_NAME.matcher(file);
        if (!m.matches()) {
            throw new IllegalStateException("not a migration file name: " + file);
        }
        return new Migration(Integer.parseInt(m.group(1)), file, sha256(script));
    }

    private String read(String file) {
        String resource = location + "/" + file;
        try (InputStream in = classLoader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("migration resource " + resource + " is not on the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    private static String sha256(String content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
