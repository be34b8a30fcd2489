-- Daily rollup of llm_usage per workspace, user, agent, model and provider.
--
-- SummingMergeTree adds rows with the same key only when parts merge, and only within a partition:
-- always read it with sum(...) ... GROUP BY, never as raw rows.
-- Sums are UInt64 (an Int32 total would wrap) and Decimal(38,12) like the raw costs. An unpriced call
-- adds 0 to the cost sums and 1 to unpriced_events, so "cost so far" and "how much of it is unknown"
-- are both answerable.
-- The materialized view fires on every insert into llm_usage. A retried batch is dropped here too
-- because writers set deduplicate_blocks_in_dependent_materialized_views = 1 and this target table has
-- its own non_replicated_deduplication_window.
CREATE TABLE IF NOT EXISTS llm_usage_daily
(
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
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, workspace_id, user_id, agent_id, model, provider)
TTL day + INTERVAL 25 MONTH
SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_mv TO llm_usage_daily AS
SELECT
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
FROM llm_usage
GROUP BY day, workspace_id, user_id, agent_id, model, provider;
