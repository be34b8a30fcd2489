-- Corrections to written costs, appended, never rewritten: one row per event a reprice run found priced
-- differently than its current cost (written cost + the adjustments before). An event's current cost is its
-- llm_usage cost plus the sum of its adjustments; reports and rollups show that, `report --as-written` the
-- original. Raw rows are never mutated.
--
-- Every cost column is a delta (Decimal, may be negative; 0 when that component did not move);
-- unpriced_delta is +1 when the event became unpriced, -1 when it became priced, else 0. The report dimensions
-- are copied from the event so every rollup and raw-table report can add the rows without a join. The status,
-- price row and override are the event's new ones. Same partitions and TTL as llm_usage.
-- Exactly once like usage rows: each run inserts a chunk of adjustments under one token (see Repricer). Sorted like
-- llm_usage, so a run reads an event's earlier adjustments by the same key range as the events themselves.
CREATE TABLE IF NOT EXISTS llm_usage_adjustment
(
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
ENGINE = MergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (user_id, workspace_id, event_time, event_id, run_id)
TTL toDateTime(event_time) + INTERVAL 13 MONTH
SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 1;

-- The rollup counts an unpriced event that got priced as one fewer unpriced event: the column must be signed.
ALTER TABLE llm_usage_daily MODIFY COLUMN unpriced_events Int64;

-- Adjustments flow into the same rollup as usage (events and tokens do not move; unpriced count and costs do).
CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_adjustment_mv TO llm_usage_daily AS
SELECT
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
FROM llm_usage_adjustment
GROUP BY day, workspace_id, user_id, agent_id, model, provider;
