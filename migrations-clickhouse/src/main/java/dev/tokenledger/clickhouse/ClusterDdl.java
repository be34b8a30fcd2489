package dev.tokenledger.clickhouse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the single-node DDL of the migration files into the DDL of a ClickHouse cluster, statement by statement, so
 * the files stay the one definition of the schema and the single-node DDL stays exactly what they say.
 *
 * <p>The statement's kind is read from its head (ClickHouse's grammar: {@code CREATE TABLE name (...) ENGINE = ...},
 * {@code CREATE TABLE name AS other ENGINE = ...}, {@code CREATE MATERIALIZED VIEW name TO target AS SELECT ...},
 * {@code ALTER TABLE name ...}, {@code DROP TABLE name}); every statement gets {@code ON CLUSTER}, so it runs on every
 * node. A statement of another kind is refused, naming it: a new migration either fits these rules or extends them
 * (and the golden files of {@code ClusterDdlTest} show what it becomes).
 * <ul>
 *   <li>A {@code *MergeTree} table {@code t} with a partition key becomes {@code t_local}, {@code Replicated*MergeTree} with the
 *       {@code {shard}}, {@code {database}} and {@code {replica}} macros (one Keeper path per shard: the replicas of a
 *       shard share their parts and their deduplication tokens), plus a {@code Distributed} table {@code t} over it
 *       whose sharding key is the partition key: a month of the table lives whole on one shard, so its inserts, their
 *       tokens, its rollup rows and a repair of it are all on that shard ({@link ClickHouseTopology#shardOf}).
 *       {@code non_replicated_deduplication_window = N} becomes {@code replicated_deduplication_window = N} with
 *       {@code replicated_deduplication_window_seconds} of {@link #DEDUPLICATION_WINDOW} (the count window is what the
 *       writer counts on; the time bound is set so a default of a later server release does not shorten it).</li>
 *   <li>A {@code *MergeTree} table without a partition key is small bookkeeping (the installation claim, the migration
 *       history): one replicated table under its own name that every node holds whole (a Keeper path without
 *       {@code {shard}}, replica {@code {shard}-{replica}}), read and written on whichever node a process reaches. An
 *       {@code ALTER} of it runs on one replica of each shard ({@code ON CLUSTER} does so for replicated tables), so
 *       once per shard on the same table: keep such statements {@code IF [NOT] EXISTS}.</li>
 *   <li>Any other table (the {@code Null} probe) is made on every node as it is, reading the local table's structure
 *       ({@code AS t_local}: the constraints are on it, not on the Distributed table).</li>
 *   <li>A materialized view is made on every node, from and into the local tables: it fires on the replica that takes
 *       the insert, and its block is replicated (and deduplicated) like any other.</li>
 *   <li>{@code ALTER TABLE t}: on {@code t_local}; column changes also on the Distributed table, which must show the
 *       same columns. A statement mixing column changes with others is refused: split it.</li>
 *   <li>{@code DROP TABLE t}: with {@code SYNC}, both halves of a sharded table (a replicated table's Keeper path must
 *       be gone before a table of that name can be made again).</li>
 * </ul>
 * One instance translates one run of the files in order: it remembers which tables it made replicated.
 */
final class ClusterDdl {
    /** How long Keeper keeps a replicated table's deduplication tokens at most: JobRunr's retries span ~73 h. */
    static final Duration DEDUPLICATION_WINDOW = Duration.ofDays(7);
    static final String KEEPER_PATH = "/clickhouse/tables/{shard}/{database}/";
    static final String CLUSTER_WIDE_KEEPER_PATH = "/clickhouse/tables/{database}/";

    private static final String NAME = "([A-Za-z_][A-Za-z0-9_]*)";
    private static final int FLAGS = Pattern.CASE_INSENSITIVE | Pattern.DOTALL;
    private static final Pattern CREATE_WITH_COLUMNS = Pattern.compile(
            "CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?" + NAME + "\\s*(\\(.*)", FLAGS);
    private static final Pattern CREATE_AS = Pattern.compile(
            "CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?" + NAME + "\\s+AS\\s+" + NAME + "\\s+(ENGINE\\s*=.*)", FLAGS);
    private static final Pattern CREATE_VIEW = Pattern.compile(
            "CREATE\\s+MATERIALIZED\\s+VIEW\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?" + NAME + "\\s+TO\\s+" + NAME + "\\s+AS\\s+(.*)",
            FLAGS);
    private static final Pattern ALTER = Pattern.compile("ALTER\\s+TABLE\\s+" + NAME + "\\s+(.*)", FLAGS);
    private static final Pattern DROP = Pattern.compile("DROP\\s+TABLE\\s+(?:IF\\s+EXISTS\\s+)?" + NAME + "\\s*", FLAGS);
    private static final Pattern ENGINE = Pattern.compile("ENGINE\\s*=\\s*" + NAME, FLAGS);
    private static final Pattern PARTITION_BY = Pattern.compile(
            "\\bPARTITION\\s+BY\\s+(.+?)\\s*(?=\\bORDER\\s+BY\\b|\\bPRIMARY\\s+KEY\\b|\\bSAMPLE\\s+BY\\b|\\bTTL\\b|\\bSETTINGS\\b|$)",
            FLAGS);
    private static final Pattern NON_REPLICATED_WINDOW = Pattern.compile(
            "\\bnon_replicated_deduplication_window\\s*=\\s*(\\d+)", FLAGS);
    private static final Pattern TABLE_REFERENCE = Pattern.compile("\\b(FROM|JOIN)(\\s+)" + NAME + "\\b", FLAGS);
    private static final Pattern COLUMN_OPERATION = Pattern.compile(
            "(ADD|DROP|MODIFY|RENAME|COMMENT)\\s+COLUMN\\b.*", FLAGS);

    /**
     * REPLICATED: sharded by its partition key, {@code t_local} plus Distributed {@code t}; CLUSTER_WIDE: one
     * replicated table every node holds whole; PER_NODE: the same unreplicated table on every node.
     */
    private enum Kind { REPLICATED, CLUSTER_WIDE, PER_NODE }

    private final ClickHouseTopology topology;
    private final String cluster;
    private final String onCluster;
    private final String database;
    private final Map<String, Kind> tables = new HashMap<>();

    ClusterDdl(ClickHouseTopology topology, String database) {
        this.topology = topology;
        this.cluster = topology.cluster().orElseThrow(() -> new IllegalArgumentException("not a cluster topology"));
        this.onCluster = topology.onCluster();
        this.database = Identifiers.requireName(database, "database name");
    }

    /** The cluster's statements for one statement of a migration file, in the order they must run. */
    List<String> translate(String statement) {
        Matcher m;
        if ((m = CREATE_VIEW.matcher(statement)).matches()) {
            return List.of("CREATE MATERIALIZED VIEW IF NOT EXISTS " + m.group(1) + onCluster + " TO "
                    + local(m.group(2), statement) + " AS " + localReferences(m.group(3)));
        }
        if ((m = CREATE_AS.matcher(statement)).matches()) {
            return createAs(m.group(1), m.group(2), m.group(3), statement);
        }
        if ((m = CREATE_WITH_COLUMNS.matcher(statement)).matches()) {
            return createWithColumns(m.group(1), m.group(2), statement);
        }
        if ((m = ALTER.matcher(statement)).matches()) {
            return alter(m.group(1), m.group(2), statement);
        }
        if ((m = DROP.matcher(statement)).matches()) {
            return drop(m.group(1));
        }
        throw refused(statement, "is none of the kinds ClusterDdl translates (CREATE TABLE, CREATE MATERIALIZED VIEW ... TO,"
                + " ALTER TABLE, DROP TABLE)");
    }

    private List<String> createWithColumns(String table, String columnsAndEngine, String statement) {
        Matcher engine = ENGINE.matcher(columnsAndEngine);
        if (!engine.find()) {
            throw refused(statement, "names no ENGINE");
        }
        String name = engine.group(1);
        if (!isUnreplicatedMergeTree(name)) {
            tables.put(table, Kind.PER_NODE);
            return List.of("CREATE TABLE IF NOT EXISTS " + table + onCluster + " " + columnsAndEngine);
        }
        String columns = columnsAndEngine.substring(0, engine.start());
        int afterName = engine.end();
        String arguments = "";
        String rest = columnsAndEngine.substring(afterName);
        String trimmed = rest.stripLeading();
        if (trimmed.startsWith("(")) {
            int open = afterName + (rest.length() - trimmed.length());
            int close = matchingParenthesis(columnsAndEngine, open, statement);
            arguments = columnsAndEngine.substring(open + 1, close).strip();
            rest = columnsAndEngine.substring(close + 1);
        }
        Matcher partition = PARTITION_BY.matcher(rest);
        if (!partition.find()) {
            // No {shard} in the path and a replica name unique in the cluster: every node holds every row.
            tables.put(table, Kind.CLUSTER_WIDE);
            return List.of("CREATE TABLE IF NOT EXISTS " + table + onCluster + " " + columns + "ENGINE = Replicated" + name
                    + "(" + engineArguments(CLUSTER_WIDE_KEEPER_PATH + table, "'{shard}-{replica}'", arguments) + ")"
                    + replicatedSettings(rest));
        }
        String local = topology.localTable(table);
        tables.put(table, Kind.REPLICATED);
        return List.of(
                "CREATE TABLE IF NOT EXISTS " + local + onCluster + " " + columns + "ENGINE = Replicated" + name + "("
                        + engineArguments(KEEPER_PATH + local, "'{replica}'", arguments) + ")" + replicatedSettings(rest),
                "CREATE TABLE IF NOT EXISTS " + topology.readTable(table) + onCluster + " AS " + local
                        + " ENGINE = Distributed("
                        + Identifiers.stringLiteral(cluster) + ", " + Identifiers.stringLiteral(database) + ", "
                        + Identifiers.stringLiteral(local) + ", " + partition.group(1).strip() + ")");
    }

    private static String engineArguments(String keeperPath, String replica, String arguments) {
        return Identifiers.stringLiteral(keeperPath) + ", " + replica + (arguments.isEmpty() ? "" : ", " + arguments);
    }

    private List<String> createAs(String table, String source, String engine, String statement) {
        Matcher name = ENGINE.matcher(engine);
        if (name.lookingAt() && isUnreplicatedMergeTree(name.group(1))) {
            throw refused(statement, "copies a structure into a MergeTree table: write its columns out, so it can be"
                    + " replicated and sharded like the others");
        }
        tables.put(table, Kind.PER_NODE);
        return List.of("CREATE TABLE IF NOT EXISTS " + table + onCluster + " AS " + local(source, statement) + " " + engine);
    }

    private List<String> alter(String table, String operations, String statement) {
        Kind kind = kindOf(table, statement);
        if (kind != Kind.REPLICATED) {
            return List.of("ALTER TABLE " + table + onCluster + " " + replicatedSettings(operations));
        }
        List<String> parts = topLevelParts(operations, statement);
        long columnOperations = parts.stream().filter(p -> COLUMN_OPERATION.matcher(p).matches()).count();
        String onLocal = "ALTER TABLE " + topology.localTable(table) + onCluster + " "
                + replicatedSettings(operations);
        if (columnOperations == 0) {
            return List.of(onLocal);
        }
        if (columnOperations != parts.size()) {
            throw refused(statement, "mixes column changes with other changes: a Distributed table takes only the"
                    + " column changes, so split them into two statements");
        }
        return List.of(onLocal, "ALTER TABLE " + table + onCluster + " " + operations);
    }

    private List<String> drop(String table) {
        Kind kind = tables.remove(table);
        List<String> statements = new ArrayList<>();
        statements.add("DROP TABLE IF EXISTS " + table + onCluster + " SYNC");
        if (kind == Kind.REPLICATED) {
            // SYNC: the replicated table's Keeper path must be gone before a table of the same name can be made again.
            statements.add("DROP TABLE IF EXISTS " + topology.localTable(table) + onCluster + " SYNC");
        }
        return statements;
    }

    private String local(String table, String statement) {
        return kindOf(table, statement) == Kind.REPLICATED ? topology.localTable(table) : table;
    }

    private Kind kindOf(String table, String statement) {
        Kind kind = tables.get(table);
        if (kind == null) {
            throw refused(statement, "names table " + table + ", which no earlier migration created");
        }
        return kind;
    }

    /** A SELECT reading the local tables: every {@code FROM t} / {@code JOIN t} of a replicated table, outside literals. */
    private String localReferences(String select) {
        StringBuilder out = new StringBuilder();
        String[] pieces = select.split("'", -1); // even pieces are outside string literals (no '' escapes in our DDL)
        for (int i = 0; i < pieces.length; i++) {
            if (i > 0) {
                out.append('\'');
            }
            if (i % 2 == 1) {
                out.append(pieces[i]);
                continue;
            }
            Matcher m = TABLE_REFERENCE.matcher(pieces[i]);
            StringBuilder piece = new StringBuilder();
            while (m.find()) {
                String table = m.group(3);
                String replacement = tables.get(table) == Kind.REPLICATED ? topology.localTable(table) : table;
                m.appendReplacement(piece, Matcher.quoteReplacement(m.group(1) + m.group(2) + replacement));
            }
            m.appendTail(piece);
            out.append(piece);
        }
        return out.toString();
    }

    private static String replicatedSettings(String text) {
        return NON_REPLICATED_WINDOW.matcher(text).replaceAll(r -> "replicated_deduplication_window = " + r.group(1)
                + ", replicated_deduplication_window_seconds = " + DEDUPLICATION_WINDOW.toSeconds());
    }

    private static boolean isUnreplicatedMergeTree(String engine) {
        String e = engine.toLowerCase(Locale.ROOT);
        return e.endsWith("mergetree") && !e.startsWith("replicated") && !e.startsWith("shared");
    }

    /** The statement's parts split at commas outside parentheses and literals. */
    private static List<String> topLevelParts(String text, String statement) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        boolean literal = false;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'') {
                literal = !literal;
            } else if (!literal && c == '(') {
                depth++;
            } else if (!literal && c == ')') {
                depth--;
            } else if (!literal && depth == 0 && c == ',') {
                parts.add(text.substring(start, i).strip());
                start = i + 1;
            }
        }
        if (depth != 0 || literal) {
            throw refused(statement, "has unbalanced parentheses or quotes");
        }
        parts.add(text.substring(start).strip());
        return parts;
    }

    private static int matchingParenthesis(String text, int open, String statement) {
        int depth = 0;
        boolean literal = false;
        for (int i = open; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'') {
                literal = !literal;
            } else if (!literal && c == '(') {
                depth++;
            } else if (!literal && c == ')' && --depth == 0) {
                return i;
            }
        }
        throw refused(statement, "has unbalanced parentheses");
    }

    private static IllegalArgumentException refused(String statement, String why) {
        String head = statement.strip().lines().findFirst().orElse("");
        return new IllegalArgumentException("cannot run on a ClickHouse cluster: the statement starting '" + head + "' "
                + why);
    }
}
