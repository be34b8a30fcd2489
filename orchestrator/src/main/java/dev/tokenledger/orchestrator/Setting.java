package dev.tokenledger.orchestrator;

import java.util.ArrayList;
import java.util.List;

/**
 * Every configuration setting of the service: its environment name, default, and meaning. The same
 * name may appear in the optional configuration file ({@code TOKENLEDGER_CONFIG_FILE}, a properties
 * file); the environment wins. A secret may instead be read from the file named by {@code NAME_FILE}.
 * {@code docs/configuration.md} is generated from this list, and a test keeps it in sync.
 */
enum Setting {
    HOME(Tier.ESSENTIAL, "TOKENLEDGER_HOME", "~/.tokenledger", false,
            "Where the embedded PostgreSQL and ClickHouse (chDB) keep their data."),
    PG_URL(Tier.ESSENTIAL, "TOKENLEDGER_PG_URL", "(embedded)", false,
            "JDBC URL of a PostgreSQL server (`jdbc:postgresql://host:5432/db`). Unset: an embedded PostgreSQL 17 under the home."),
    PG_USER(Tier.ESSENTIAL, "TOKENLEDGER_PG_USER", "postgres", false, "User for `TOKENLEDGER_PG_URL`."),
    PG_PASSWORD(Tier.ESSENTIAL, "TOKENLEDGER_PG_PASSWORD", "(none)", true, "Password for `TOKENLEDGER_PG_URL`."),
    CLICKHOUSE_URL(Tier.ESSENTIAL, "TOKENLEDGER_CLICKHOUSE_URL", "(embedded)", false,
            "HTTP endpoint of a ClickHouse server (`http://host:8123`). Unset: chDB in-process, data under the home."),
    CLICKHOUSE_USER(Tier.ESSENTIAL, "TOKENLEDGER_CLICKHOUSE_USER", "default", false, "User for `TOKENLEDGER_CLICKHOUSE_URL`."),
    CLICKHOUSE_PASSWORD(Tier.ESSENTIAL, "TOKENLEDGER_CLICKHOUSE_PASSWORD", "(none)", true,
            "Password for `TOKENLEDGER_CLICKHOUSE_URL`."),
    CLICKHOUSE_DATABASE(Tier.ESSENTIAL, "TOKENLEDGER_CLICKHOUSE_DATABASE", "tokenledger", false,
            "ClickHouse database holding `llm_usage` and `llm_usage_daily` (created if missing)."),
    HTTP_PORT(Tier.ESSENTIAL, "TOKENLEDGER_HTTP_PORT", "8080", false,
            "Port of the HTTP API (`/v1/usage`, `/v1/reports/{by}`, `/healthz`, `/readyz`, `/metrics`, `/openapi.json`); 0 picks a free one."),
    API_KEYS(Tier.ESSENTIAL, "TOKENLEDGER_API_KEYS", "(none)", true,
            "Comma-separated admin API keys (16 characters or more, every scope, every workspace) accepted in `Authorization: Bearer <key>` or `X-Api-Key`; keys are always required once any exists. Keys with scopes and workspaces are made with `./tokenledger keys create` (kept in PostgreSQL, hashed). Without any key, `serve` refuses to start unless `TOKENLEDGER_LOCAL_ONLY=true`."),
    WORKER_PORT(Tier.ESSENTIAL, "TOKENLEDGER_WORKER_PORT", "8081", false,
            "Port of a `./tokenledger worker` process's `/healthz`, `/readyz` and `/metrics` (it serves no API); 0 picks a free one. See docs/deployment.md."),
    DASHBOARD_PORT(Tier.ESSENTIAL, "TOKENLEDGER_DASHBOARD_PORT", "8000", false, "Port of JobRunr's dashboard."),
    DASHBOARD_USER(Tier.ESSENTIAL, "TOKENLEDGER_DASHBOARD_USER", "admin", false, "Basic-auth user of JobRunr's dashboard."),
    DASHBOARD_PASSWORD(Tier.ESSENTIAL, "TOKENLEDGER_DASHBOARD_PASSWORD", "(none)", true,
            "Basic-auth password of JobRunr's dashboard. Without one the dashboard does not start unless `TOKENLEDGER_LOCAL_ONLY=true`."),
    LOCAL_ONLY(Tier.ESSENTIAL, "TOKENLEDGER_LOCAL_ONLY", "false", false,
            "Declares that the ports are reachable from this machine only: the API and the dashboard may then run without credentials (`demo` sets it). An API without keys listens on 127.0.0.1 only."),

    PRICING_URL(Tier.FREQUENT, "TOKENLEDGER_PRICING_URL",
            "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json", false,
            "Where `pricing_refresh` fetches LiteLLM's price file (an `http(s)://` URL or a file path)."),
    PRICING_CRON(Tier.FREQUENT, "TOKENLEDGER_PRICING_CRON", "17 3 * * *", false, "When the daily `pricing_refresh` job runs (cron, UTC)."),
    PRICING_MIN_MODELS(Tier.FREQUENT, "TOKENLEDGER_PRICING_MIN_MODELS", "500", false, "A price feed with fewer models is refused and the book kept."),
    PRICING_MAX_SHRINK(Tier.FREQUENT, "TOKENLEDGER_PRICING_MAX_SHRINK", "0.20", false,
            "A price feed that would drop more than this share of the book's models is refused."),
    BATCH_MAX_EVENTS(Tier.FREQUENT, "TOKENLEDGER_BATCH_MAX_EVENTS", "20000", false, "The most events in one `usage_write` batch."),
    BATCH_LINGER(Tier.FREQUENT, "TOKENLEDGER_BATCH_LINGER", "250ms", false,
            "Least time between two batches while events keep coming (an idle system writes the first event at once)."),
    JOB_RETRIES(Tier.FREQUENT, "TOKENLEDGER_JOB_RETRIES", "11", false,
            "JobRunr retries of a failed `usage_write` (backoff 3^n s; at least 10, i.e. 24.6 h; 11 is ~73 h)."),
    WORKERS(Tier.FREQUENT, "TOKENLEDGER_WORKERS", "4", false, "JobRunr worker threads in this process."),
    IDEMPOTENCY_WINDOW(Tier.FREQUENT, "TOKENLEDGER_IDEMPOTENCY_WINDOW", "7d", false,
            "How long written events stay in PostgreSQL, where a re-sent `event_id` is answered `duplicate` at once. Later re-sends are still never written twice: the writer finds the id in `llm_usage` (13 months) and counts a late duplicate."),
    RECONCILE_INTERVAL(Tier.FREQUENT, "TOKENLEDGER_RECONCILE_INTERVAL", "5m", false,
            "How often the `usage_reconcile` job checks the months written since its last run and rebuilds a rollup month that disagrees with `llm_usage` (at least 5s)."),
    BACK_PRICING(Tier.FREQUENT, "TOKENLEDGER_BACK_PRICING", "true", false,
            "Whether a price change (a `pricing_refresh` that adds or changes a model, an override set or ended from a past time) queues a `usage_reprice` run over the written usage it concerns."),
    BUDGET_WEBHOOK_SECRET(Tier.FREQUENT, "TOKENLEDGER_BUDGET_WEBHOOK_SECRET", "(none)", true,
            "Key of the HMAC-SHA256 signature (`X-Tokenledger-Signature: sha256=<hex>`) over each budget alert webhook's body. Unset: alerts are sent unsigned."),
    RECORD_TIMEOUT(Tier.FREQUENT, "TOKENLEDGER_RECORD_TIMEOUT", "5s", false, "How long `record()` waits for its commit before failing."),

    RECORD_BUFFER(Tier.RARE, "TOKENLEDGER_RECORD_BUFFER", "200000", false, "Events that may wait for a group commit (`recordAsync()` back-pressure beyond it)."),
    COMMIT_THREADS(Tier.RARE, "TOKENLEDGER_COMMIT_THREADS", "2", false, "Threads committing groups of events in parallel."),
    NOTIFY_EVERY_COMMIT(Tier.RARE, "TOKENLEDGER_NOTIFY_EVERY_COMMIT", "false", false,
            "Send PostgreSQL's `NOTIFY` to writers on every group commit. Off: only while a writer of another process listens (this process's writer is woken in memory); notifying transactions commit one at a time."),
    WRITER_NICE(Tier.RARE, "TOKENLEDGER_WRITER_NICE", "10", false,
            "Linux nice value (0-19; 0 leaves them alone) of the embedded ClickHouse's threads (its inserts and merges: most of the writer's CPU). The commits `record()` waits for then come first on a busy machine; Java threads are never lowered."),
    MAX_BODY_BYTES(Tier.RARE, "TOKENLEDGER_MAX_BODY_BYTES", "10485760", false,
            "Largest accepted `POST /v1/usage` or `POST /v1/traces` body (for gzip, also once inflated); a bigger one is answered 413."),
    PG_POOL_SIZE(Tier.RARE, "TOKENLEDGER_PG_POOL_SIZE", "24", false, "HikariCP pool size (at least 2 × workers + commit threads + 4: a `usage_write` job holds one connection for its month locks)."),
    PG_CONNECT_TIMEOUT(Tier.RARE, "TOKENLEDGER_PG_CONNECT_TIMEOUT", "5s", false, "How long a caller waits for a PostgreSQL connection."),
    CLICKHOUSE_CLUSTER(Tier.RARE, "TOKENLEDGER_CLICKHOUSE_CLUSTER", "(none)", false,
            "Name of a ClickHouse cluster (in the servers' `remote_servers`, with Keeper and the `{shard}` and `{replica}` macros) to create the tables on: `ON CLUSTER`, as `Replicated*MergeTree` tables `<table>_local` sharded by month, with `Distributed` tables under the usual names for reads and inserts. Needs `TOKENLEDGER_CLICKHOUSE_URL`. Unset: single-node tables. See docs/deployment.md."),
    CLICKHOUSE_SOCKET_TIMEOUT(Tier.RARE, "TOKENLEDGER_CLICKHOUSE_SOCKET_TIMEOUT", "30s", false,
            "Socket and execution timeout of ClickHouse requests (server backend)."),
    CLICKHOUSE_COMPRESSION(Tier.RARE, "TOKENLEDGER_CLICKHOUSE_COMPRESSION", "true", false,
            "Whether to ask the ClickHouse server for LZ4-compressed responses; `false` for an HTTP front that does not speak ClickHouse's compression (such as the test suite's chDB server, which the `two-writers` chaos scenario and the `scale-out` bench run against)."),
    PRICE_CACHE_CHECK(Tier.RARE, "TOKENLEDGER_PRICE_CACHE_CHECK", "30s", false,
            "How often a process checks whether another process changed the price book."),
    JOBRUNR_POLL(Tier.RARE, "TOKENLEDGER_JOBRUNR_POLL", "5s", false, "JobRunr's poll interval (5 s is its minimum)."),
    BUDGET_REFRESH(Tier.RARE, "TOKENLEDGER_BUDGET_REFRESH", "1s", false,
            "How often each process re-reads the budgets and their spend (the lag of `/v1/budgets/check` behind ClickHouse; at least 50ms)."),
    CONFIG_FILE(Tier.RARE, "TOKENLEDGER_CONFIG_FILE", "(none)", false,
            "A properties file with any of these settings (`NAME=value`); the environment wins.");

    enum Tier {
        ESSENTIAL("Essentials"), FREQUENT("Frequently used"), RARE("Rarely used");

        final String title;

        Tier(String title) {
            this.title = title;
        }
    }

    final Tier tier;
    final String env;
    final String defaultValue;
    final boolean secret;
    final String meaning;

    Setting(Tier tier, String env, String defaultValue, boolean secret, String meaning) {
        this.tier = tier;
        this.env = env;
        this.defaultValue = defaultValue;
        this.secret = secret;
        this.meaning = meaning;
    }

    /** The content of docs/configuration.md. */
    static String markdown() {
        List<String> out = new ArrayList<>();
        out.add("# Configuration");
        out.add("");
        out.add("Settings come from environment variables, or from the properties file named by `TOKENLEDGER_CONFIG_FILE`");
        out.add("(the environment wins). A secret (marked 🔒) can also be read from a file: set `NAME_FILE` to its path.");
        out.add("Secrets are never printed or logged. Every setting is validated at start; an error names the setting.");
        out.add("This page is generated from `orchestrator/src/main/java/dev/tokenledger/orchestrator/Setting.java`.");
        for (Tier tier : Tier.values()) {
            out.add("");
            out.add("## " + tier.title);
            out.add("");
            out.add("| name | default | meaning |");
            out.add("|---|---|---|");
            for (Setting s : values()) {
                if (s.tier == tier) {
                    out.add("| `" + s.env + "`" + (s.secret ? " 🔒" : "") + " | `" + s.defaultValue + "` | " + s.meaning + " |");
                }
            }
        }
        return String.join("\n", out) + "\n";
    }
}
