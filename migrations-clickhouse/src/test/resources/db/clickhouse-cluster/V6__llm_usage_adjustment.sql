CREATE TABLE IF NOT EXISTS llm_usage_adjustment_local ON CLUSTER `ledger_cluster` (
    event_id            UUID,
    event_time          DateTime64(3, 'UTC'),
    user_id             String,
    workspace_id        String,
    agent_id            LowCardinality(String),
    model               LowCardinality(String),
    provider            LowCardinality(String),
    session_id          String,
    service_tier        LowCardinality(String),
    unpriced_delta      Int64,
    input_cost          Decimal(38, 12),
    cached_input_cost   Decimal(38, 12),
    cache_creation_cost Decimal(38, 12),
    output_cost         Decimal(38, 12),
    reasoning_cost      Decimal(38, 12),
    audio_cost          Decimal(38, 12),
    tool_use_cost       Decimal(38, 12),
    cost_usd            Decimal(38, 12),
    cost_status         Enum8('priced' = 1, 'unpriced' = 2, 'override' = 3),
    pricing_model       LowCardinality(String),
    pricing_id          UInt64,
    pricing_override_id UInt64,
    run_id              UInt64,
    adjusted_at         DateTime64(3, 'UTC')
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/llm_usage_adjustment_local', '{replica}')
PARTITION BY toYYYYMM(event_time)
ORDER BY (user_id, workspace_id, event_time, event_id, run_id)
TTL toDateTime(event_time) + INTERVAL 13 MONTH
SETTINGS replicated_deduplication_window = 10000, replicated_deduplication_window_seconds = 604800, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS llm_usage_adjustment ON CLUSTER `ledger_cluster` AS llm_usage_adjustment_local ENGINE = Distributed('ledger_cluster', 'tokenledger', 'llm_usage_adjustment_local', toYYYYMM(event_time));

ALTER TABLE llm_usage_daily_local ON CLUSTER `ledger_cluster` MODIFY COLUMN unpriced_events Int64;

ALTER TABLE llm_usage_daily ON CLUSTER `ledger_cluster` MODIFY COLUMN unpriced_events Int64;

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_adjustment_mv ON CLUSTER `ledger_cluster` TO llm_usage_daily_local AS SELECT
    toDate(event_time)                 AS day,
    workspace_id,
    user_id,
    agent_id,
    model,
    provider,
    toUInt64(0)                        AS events,
    sum(unpriced_delta)                AS unpriced_events,
    toUInt64(0)                        AS prompt_tokens,
    toUInt64(0)                        AS completion_tokens,
    toUInt64(0)                        AS total_tokens,
    toUInt64(0)                        AS tool_use_prompt_tokens,
    toUInt64(0)                        AS thoughts_tokens,
    toUInt64(0)                        AS cached_tokens,
    toUInt64(0)                        AS cache_creation_tokens,
    toUInt64(0)                        AS audio_tokens,
    sum(cost_usd)                      AS cost_usd,
    sum(input_cost)                    AS input_cost,
    sum(cached_input_cost)             AS cached_input_cost,
    sum(cache_creation_cost)           AS cache_creation_cost,
    sum(output_cost)                   AS output_cost,
    sum(reasoning_cost)                AS reasoning_cost,
    sum(audio_cost)                    AS audio_cost,
    sum(tool_use_cost)                 AS tool_use_cost
FROM llm_usage_adjustment_local
GROUP BY day, workspace_id, user_id, agent_id, model, provider;
