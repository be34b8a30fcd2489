CREATE TABLE IF NOT EXISTS llm_usage_daily_local ON CLUSTER `ledger_cluster` (
    day                    Date,
    workspace_id           String,
    user_id                String,
    agent_id               LowCardinality(String),
    model                  LowCardinality(String),
    provider               LowCardinality(String),
    events                 UInt64,
    unpriced_events        UInt64,
    prompt_tokens          UInt64,
    completion_tokens      UInt64,
    total_tokens           UInt64,
    tool_use_prompt_tokens UInt64,
    thoughts_tokens        UInt64,
    cached_tokens          UInt64,
    cache_creation_tokens  UInt64,
    audio_tokens           UInt64,
    cost_usd               Decimal(38, 12),
    input_cost             Decimal(38, 12),
    cached_input_cost      Decimal(38, 12),
    cache_creation_cost    Decimal(38, 12),
    output_cost            Decimal(38, 12),
    reasoning_cost         Decimal(38, 12),
    audio_cost             Decimal(38, 12),
    tool_use_cost          Decimal(38, 12)
)
ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/{database}/llm_usage_daily_local', '{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (day, workspace_id, user_id, agent_id, model, provider)
TTL day + INTERVAL 25 MONTH
SETTINGS replicated_deduplication_window = 10000, replicated_deduplication_window_seconds = 604800, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS llm_usage_daily ON CLUSTER `ledger_cluster` AS llm_usage_daily_local ENGINE = Distributed('ledger_cluster', 'tokenledger', 'llm_usage_daily_local', toYYYYMM(day));

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_mv ON CLUSTER `ledger_cluster` TO llm_usage_daily_local AS SELECT
    toDate(event_time)                                  AS day,
    workspace_id,
    user_id,
    agent_id,
    model,
    provider,
    count()                                             AS events,
    countIf(cost_status = 'unpriced')                   AS unpriced_events,
    sum(prompt_tokens)                                  AS prompt_tokens,
    sum(completion_tokens)                              AS completion_tokens,
    sum(total_tokens)                                   AS total_tokens,
    sum(tool_use_prompt_tokens)                         AS tool_use_prompt_tokens,
    sum(thoughts_tokens)                                AS thoughts_tokens,
    sum(cached_tokens)                                  AS cached_tokens,
    sum(cache_creation_tokens + cache_creation_1h_tokens) AS cache_creation_tokens,
    sum(audio_prompt_tokens + audio_completion_tokens)  AS audio_tokens,
    sum(ifNull(cost_usd, 0))                            AS cost_usd,
    sum(ifNull(input_cost, 0))                          AS input_cost,
    sum(ifNull(cached_input_cost, 0))                   AS cached_input_cost,
    sum(ifNull(cache_creation_cost, 0))                 AS cache_creation_cost,
    sum(ifNull(output_cost, 0))                         AS output_cost,
    sum(ifNull(reasoning_cost, 0))                      AS reasoning_cost,
    sum(ifNull(audio_cost, 0))                          AS audio_cost,
    sum(ifNull(tool_use_cost, 0))                       AS tool_use_cost
FROM llm_usage_local
GROUP BY day, workspace_id, user_id, agent_id, model, provider;
