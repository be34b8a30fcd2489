-- Daily rollups by one dimension: what the reports group by (user, model, agent; the day reports use the
-- smallest). llm_usage_daily keys every (day, workspace, user, agent, model, provider), so a month of a
-- thousand users holds some 186,000 rows and a report over it took 15-40 ms; these hold a few thousand.
-- Same rules as llm_usage_daily: SummingMergeTree (always read with sum() ... GROUP BY), fed by a view on
-- llm_usage, so a retried insert is dropped here too (deduplicate_blocks_in_dependent_materialized_views = 1
-- on every insert, and each table's own non_replicated_deduplication_window). The sums are those of
-- llm_usage_daily, so every report gives the same answer from either (the benchmarks check it).
--
-- Existing rows are backfilled from llm_usage. Apply this with every writer stopped (the service applies
-- migrations before its writer starts): a row inserted between the views' creation and the backfill would
-- be counted by both. The backfill truncates first, so re-running an interrupted migration is safe.

CREATE TABLE IF NOT EXISTS llm_usage_daily_by_user
(
    day                    Date,
    workspace_id           String,
    user_id                String,
    events                 UInt64,
    unpriced_events        UInt64,
    prompt_tokens          UInt64,
    completion_tokens      UInt64,
    cached_tokens          UInt64,
    cache_creation_tokens  UInt64,
    thoughts_tokens        UInt64,
    total_tokens           UInt64,
    cost_usd               Decimal(38, 12)
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, workspace_id, user_id)
TTL day + INTERVAL 25 MONTH
SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_by_user_mv TO llm_usage_daily_by_user AS
SELECT
    toDate(event_time)                                  AS day,
    workspace_id, user_id,
    count()                                             AS events,
    countIf(cost_status = 'unpriced')                   AS unpriced_events,
    sum(prompt_tokens)                                  AS prompt_tokens,
    sum(completion_tokens)                              AS completion_tokens,
    sum(cached_tokens)                                  AS cached_tokens,
    sum(cache_creation_tokens + cache_creation_1h_tokens) AS cache_creation_tokens,
    sum(thoughts_tokens)                                AS thoughts_tokens,
    sum(total_tokens)                                   AS total_tokens,
    sum(ifNull(cost_usd, 0))                            AS cost_usd
FROM llm_usage
GROUP BY day, workspace_id, user_id;

CREATE TABLE IF NOT EXISTS llm_usage_daily_by_model
(
    day                    Date,
    model                  LowCardinality(String),
    provider               LowCardinality(String),
    events                 UInt64,
    unpriced_events        UInt64,
    prompt_tokens          UInt64,
    completion_tokens      UInt64,
    cached_tokens          UInt64,
    cache_creation_tokens  UInt64,
    thoughts_tokens        UInt64,
    total_tokens           UInt64,
    cost_usd               Decimal(38, 12)
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, model, provider)
TTL day + INTERVAL 25 MONTH
SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_by_model_mv TO llm_usage_daily_by_model AS
SELECT
    toDate(event_time)                                  AS day,
    model, provider,
    count()                                             AS events,
    countIf(cost_status = 'unpriced')                   AS unpriced_events,
    sum(prompt_tokens)                                  AS prompt_tokens,
    sum(completion_tokens)                              AS completion_tokens,
    sum(cached_tokens)                                  AS cached_tokens,
    sum(cache_creation_tokens + cache_creation_1h_tokens) AS cache_creation_tokens,
    sum(thoughts_tokens)                                AS thoughts_tokens,
    sum(total_tokens)                                   AS total_tokens,
    sum(ifNull(cost_usd, 0))                            AS cost_usd
FROM llm_usage
GROUP BY day, model, provider;

CREATE TABLE IF NOT EXISTS llm_usage_daily_by_agent
(
    day                    Date,
    agent_id               LowCardinality(String),
    events                 UInt64,
    unpriced_events        UInt64,
    prompt_tokens          UInt64,
    completion_tokens      UInt64,
    cached_tokens          UInt64,
    cache_creation_tokens  UInt64,
    thoughts_tokens        UInt64,
    total_tokens           UInt64,
    cost_usd               Decimal(38, 12)
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, agent_id)
TTL day + INTERVAL 25 MONTH
SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_by_agent_mv TO llm_usage_daily_by_agent AS
SELECT
    toDate(event_time)                                  AS day,
    agent_id,
    count()                                             AS events,
    countIf(cost_status = 'unpriced')                   AS unpriced_events,
    sum(prompt_tokens)                                  AS prompt_tokens,
    sum(completion_tokens)                              AS completion_tokens,
    sum(cached_tokens)                                  AS cached_tokens,
    sum(cache_creation_tokens + cache_creation_1h_tokens) AS cache_creation_tokens,
    sum(thoughts_tokens)                                AS thoughts_tokens,
    sum(total_tokens)                                   AS total_tokens,
    sum(ifNull(cost_usd, 0))                            AS cost_usd
FROM llm_usage
GROUP BY day, agent_id;

TRUNCATE TABLE IF EXISTS llm_usage_daily_by_user;

INSERT INTO llm_usage_daily_by_user SETTINGS insert_deduplicate = 0
SELECT
    toDate(event_time)                                  AS day,
    workspace_id, user_id,
    count()                                             AS events,
    countIf(cost_status = 'unpriced')                   AS unpriced_events,
    sum(prompt_tokens)                                  AS prompt_tokens,
    sum(completion_tokens)                              AS completion_tokens,
    sum(cached_tokens)                                  AS cached_tokens,
    sum(cache_creation_tokens + cache_creation_1h_tokens) AS cache_creation_tokens,
    sum(thoughts_tokens)                                AS thoughts_tokens,
    sum(total_tokens)                                   AS total_tokens,
    sum(ifNull(cost_usd, 0))                            AS cost_usd
FROM llm_usage
GROUP BY day, workspace_id, user_id;

TRUNCATE TABLE IF EXISTS llm_usage_daily_by_model;

INSERT INTO llm_usage_daily_by_model SETTINGS insert_deduplicate = 0
SELECT
    toDate(event_time)                                  AS day,
    model, provider,
    count()                                             AS events,
    countIf(cost_status = 'unpriced')                   AS unpriced_events,
    sum(prompt_tokens)                                  AS prompt_tokens,
    sum(completion_tokens)                              AS completion_tokens,
    sum(cached_tokens)                                  AS cached_tokens,
    sum(cache_creation_tokens + cache_creation_1h_tokens) AS cache_creation_tokens,
    sum(thoughts_tokens)                                AS thoughts_tokens,
    sum(total_tokens)                                   AS total_tokens,
    sum(ifNull(cost_usd, 0))                            AS cost_usd
FROM llm_usage
GROUP BY day, model, provider;

TRUNCATE TABLE IF EXISTS llm_usage_daily_by_agent;

INSERT INTO llm_usage_daily_by_agent SETTINGS insert_deduplicate = 0
SELECT
    toDate(event_time)                                  AS day,
    agent_id,
    count()                                             AS events,
    countIf(cost_status = 'unpriced')                   AS unpriced_events,
    sum(prompt_tokens)                                  AS prompt_tokens,
    sum(completion_tokens)                              AS completion_tokens,
    sum(cached_tokens)                                  AS cached_tokens,
    sum(cache_creation_tokens + cache_creation_1h_tokens) AS cache_creation_tokens,
    sum(thoughts_tokens)                                AS thoughts_tokens,
    sum(total_tokens)                                   AS total_tokens,
    sum(ifNull(cost_usd, 0))                            AS cost_usd
FROM llm_usage
GROUP BY day, agent_id;
