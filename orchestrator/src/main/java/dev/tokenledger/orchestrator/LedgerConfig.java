package dev.tokenledger.orchestrator;

import dev.tokenledger.clickhouse.ClickHouseTopology;
import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.postgres.PostgresSettings;
import dev.tokenledger.pricing.FeedSource;
import dev.tokenledger.pricing.PricingSettings;
import dev.tokenledger.usage.RecorderSettings;
import dev.tokenledger.usage.BudgetSettings;
import dev.tokenledger.usage.WriterSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The whole configuration, validated and frozen at start. Build it with {@link #from(Map)} from the
 * environment (see {@link Setting} and docs/configuration.md).
 *
 * @param clickHouseServer   the server to use, or null for the embedded chDB under {@code home/clickhouse}
 * @param clickHouseTopology one node, or the ClickHouse cluster the tables are made on (a server only)
 */
public record LedgerConfig(Path home, PostgresSettings postgres, ServerClickHouse.Settings clickHouseServer,
                           String clickHouseDatabase, Http http, Dashboard dashboard, PricingSettings pricing,
                           RecorderSettings recorder, WriterSettings writer, int workers, Duration jobRunrPoll,
                           BudgetSettings budgets, ClickHouseTopology clickHouseTopology) {

    /**
     * The HTTP API, and the small port a worker process serves health and metrics on (same keys). API keys are
     * secrets: never printed.
     */
    public record Http(int port, List<String> apiKeys, long maxBodyBytes, boolean localOnly, int workerPort) {
        public Http {
            apiKeys = List.copyOf(apiKeys);
        }

        @Override
        public String toString() {
            return "Http[port=" + port + ", apiKeys=" + apiKeys.size() + " configured, maxBodyBytes=" + maxBodyBytes
                    + ", localOnly=" + localOnly + ", workerPort=" + workerPort + "]";
        }
    }

    /** JobRunr's dashboard. The password is a secret: never printed. */
    public record Dashboard(int port, String user, String password, boolean localOnly) {
        public boolean hasPassword() {
            return password != null && !password.isEmpty();
        }

        @Override
        public String toString() {
            return "Dashboard[port=" + port + ", user=" + user + ", password=" + (hasPassword() ? "***" : "none")
                    + ", localOnly=" + localOnly + "]";
        }
    }

    public boolean embeddedClickHouse() {
        return clickHouseServer == null;
    }

    /**
     * Refuses the embedded ClickHouse for a process that shares its databases with others ({@code serve --role api},
     * {@code worker}): chDB opens its data directory in one process only, and an API process still reads ClickHouse
     * for reports and budgets, so every process of a scaled-out deployment must name the same server.
     */
    public void requireClickHouseServer(String command) {
        if (embeddedClickHouse()) {
            throw new ConfigException("`" + command + "` shares PostgreSQL and ClickHouse with other processes and needs"
                    + " a ClickHouse server: set " + Setting.CLICKHOUSE_URL.env + " (http://host:8123). The embedded"
                    + " ClickHouse (chDB, used when it is unset) can be open in one process only; see docs/deployment.md");
        }
    }

    public static LedgerConfig fromEnvironment() {
        return from(System.getenv());
    }

    public static LedgerConfig from(Map<String, String> env) {
        ConfigSource c = ConfigSource.of(env);
        Path home = home(c.string(Setting.HOME), env);
        int poolSize = c.integer(Setting.PG_POOL_SIZE, 4, 1000);
        Duration pgTimeout = c.duration(Setting.PG_CONNECT_TIMEOUT);
        PostgresSettings postgres;
        String pgUrl = c.raw(Setting.PG_URL);
        try {
            postgres = (pgUrl == null ? PostgresSettings.embedded(home)
                    : PostgresSettings.server(pgUrl, c.string(Setting.PG_USER), c.raw(Setting.PG_PASSWORD)))
                    .withMaxPoolSize(poolSize).withConnectionTimeout(pgTimeout);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }

        String database = c.string(Setting.CLICKHOUSE_DATABASE);
        if (!database.matches("[A-Za-z_][A-Za-z0-9_]{0,62}")) {
            throw new ConfigException(Setting.CLICKHOUSE_DATABASE.env + " must be a plain identifier, got '"
                    + database + "'");
        }
        ServerClickHouse.Settings chServer = null;
        String chUrl = c.raw(Setting.CLICKHOUSE_URL);
        if (chUrl != null) {
            if (!chUrl.startsWith("http://") && !chUrl.startsWith("https://")) {
                throw new ConfigException(Setting.CLICKHOUSE_URL.env + " must be an http:// or https:// URL, got '"
                        + chUrl.replaceAll("//[^@/]*@", "//***@") + "'");
            }
            Duration socket = c.duration(Setting.CLICKHOUSE_SOCKET_TIMEOUT);
            ServerClickHouse.Settings base = ServerClickHouse.Settings.of(chUrl, c.string(Setting.CLICKHOUSE_USER),
                    c.raw(Setting.CLICKHOUSE_PASSWORD) == null ? "" : c.raw(Setting.CLICKHOUSE_PASSWORD), database);
            chServer = new ServerClickHouse.Settings(base.endpoint(), base.user(), base.password(), database,
                    base.connectTimeout(), socket, socket, c.bool(Setting.CLICKHOUSE_COMPRESSION));
        }

        ClickHouseTopology topology = ClickHouseTopology.SINGLE_NODE;
        String cluster = c.raw(Setting.CLICKHOUSE_CLUSTER);
        if (cluster != null) {
            if (chServer == null) {
                throw new ConfigException(Setting.CLICKHOUSE_CLUSTER.env + " needs " + Setting.CLICKHOUSE_URL.env
                        + ": the embedded ClickHouse (chDB) has no Keeper and no cluster");
            }
            if (!cluster.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new ConfigException(Setting.CLICKHOUSE_CLUSTER.env + " must be a plain identifier, got '" + cluster + "'");
            }
            topology = ClickHouseTopology.cluster(cluster);
        }

        boolean localOnly = c.bool(Setting.LOCAL_ONLY);
        String keys = c.raw(Setting.API_KEYS);
        List<String> apiKeys = keys == null ? List.of()
                : Arrays.stream(keys.split(",")).map(String::strip).filter(k -> !k.isEmpty()).toList();
        for (String k : apiKeys) {
            if (k.length() < 16) {
                throw new ConfigException(Setting.API_KEYS.env + " holds a key shorter than 16 characters: use long random keys");
            }
        }
        Http http = new Http(c.integer(Setting.HTTP_PORT, 0, 65535), apiKeys,
                c.integer(Setting.MAX_BODY_BYTES, 1024, Integer.MAX_VALUE), localOnly,
                c.integer(Setting.WORKER_PORT, 0, 65535));
        Dashboard dashboard = new Dashboard(c.integer(Setting.DASHBOARD_PORT, 0, 65535), c.string(Setting.DASHBOARD_USER),
                c.raw(Setting.DASHBOARD_PASSWORD), localOnly);

        PricingSettings pricing;
        try {
            pricing = new PricingSettings(FeedSource.parse(c.string(Setting.PRICING_URL)),
                    PricingSettings.DEFAULT_CONNECT_TIMEOUT, PricingSettings.DEFAULT_READ_TIMEOUT,
                    PricingSettings.DEFAULT_MAX_FEED_BYTES, c.integer(Setting.PRICING_MIN_MODELS, 0, 1_000_000),
                    c.fraction(Setting.PRICING_MAX_SHRINK), c.string(Setting.PRICING_CRON),
                    c.duration(Setting.PRICE_CACHE_CHECK));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("pricing setting invalid (" + Setting.PRICING_URL.env + ", "
                    + Setting.PRICING_CRON.env + "): " + e.getMessage());
        }

        int retries = c.integer(Setting.JOB_RETRIES, 10, 30);
        WriterSettings writer = new WriterSettings(c.integer(Setting.BATCH_MAX_EVENTS, 1, 1_000_000),
                c.duration(Setting.BATCH_LINGER), WriterSettings.DEFAULTS.idlePoll(), retries,
                c.duration(Setting.IDEMPOTENCY_WINDOW), c.duration(Setting.RECONCILE_INTERVAL),
                c.bool(Setting.BACK_PRICING), c.integer(Setting.WRITER_NICE, 0, 19));
        int commitThreads = c.integer(Setting.COMMIT_THREADS, 1, 64);
        int buffer = c.integer(Setting.RECORD_BUFFER, RecorderSettings.DEFAULTS.maxEventsPerCommit(), 100_000_000);
        RecorderSettings recorder = new RecorderSettings(commitThreads, RecorderSettings.DEFAULTS.maxEventsPerCommit(),
                buffer, RecorderSettings.DEFAULTS.fullBufferWait(), c.duration(Setting.RECORD_TIMEOUT),
                RecorderSettings.DEFAULTS.maxFutureSkew(), RecorderSettings.DEFAULTS.retention(),
                c.bool(Setting.NOTIFY_EVERY_COMMIT));
        int workers = c.integer(Setting.WORKERS, 1, 256);
        // A usage_write job holds a connection for its month locks besides the ones its queries borrow.
        if (poolSize < 2 * workers + commitThreads + 4) {
            throw new ConfigException(Setting.PG_POOL_SIZE.env + " (" + poolSize + ") must be at least 2 × "
                    + Setting.WORKERS.env + " + " + Setting.COMMIT_THREADS.env + " + 4 = "
                    + (2 * workers + commitThreads + 4));
        }
        Duration poll = c.duration(Setting.JOBRUNR_POLL);
        if (poll.compareTo(Duration.ofSeconds(5)) < 0) {
            throw new ConfigException(Setting.JOBRUNR_POLL.env + " must be at least 5s (JobRunr's minimum), got " + poll);
        }
        Duration budgetRefresh = c.duration(Setting.BUDGET_REFRESH);
        if (budgetRefresh.toMillis() < 50) {
            throw new ConfigException(Setting.BUDGET_REFRESH.env + " must be at least 50ms, got " + budgetRefresh);
        }
        BudgetSettings budgets = BudgetSettings.DEFAULTS.withRefreshInterval(budgetRefresh)
                .withWebhookSecret(c.raw(Setting.BUDGET_WEBHOOK_SECRET));
        return new LedgerConfig(home, postgres, chServer, database, http, dashboard, pricing, recorder, writer, workers,
                poll, budgets, topology);
    }

    private static Path home(String value, Map<String, String> env) {
        if (value.equals("~") || value.startsWith("~/")) {
            // $HOME first, like a shell: the JVM's user.home comes from the password database instead.
            String home = env.get("HOME");
            Path base = Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"));
            return base.resolve(value.substring(Math.min(2, value.length())));
        }
        return Path.of(value).toAbsolutePath();
    }

    /** The same configuration with other recorder and writer settings (the bench's same-run comparisons). */
    public LedgerConfig with(RecorderSettings recorder, WriterSettings writer) {
        return new LedgerConfig(home, postgres, clickHouseServer, clickHouseDatabase, http, dashboard, pricing, recorder,
                writer, workers, jobRunrPoll, budgets, clickHouseTopology);
    }

    public LedgerConfig localOnly() {
        return new LedgerConfig(home, postgres, clickHouseServer, clickHouseDatabase,
                new Http(http.port(), http.apiKeys(), http.maxBodyBytes(), true, http.workerPort()),
                new Dashboard(dashboard.port(), dashboard.user(), dashboard.password(), true), pricing, recorder, writer,
                workers, jobRunrPoll, budgets, clickHouseTopology);
    }
}
