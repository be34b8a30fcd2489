-- One row per LLM call: the raw usage ledger.
--
-- Exactly once: writers insert batches with insert_deduplication_token. A plain MergeTree remembers
-- tokens only when non_replicated_deduplication_window > 0; 10000 covers far more inserts than can land
-- between two attempts of one batch at about one insert per second.
-- Every value comes from the client (no DEFAULT now()/rand()): a retried batch must be byte-identical.
-- Costs are Decimal(38,12): the smallest real per-token price is 1.3e-10 USD, so 6 decimals would round
-- many calls to zero. NULL cost = not priced (see cost_status).
-- cache_creation_tokens counts cache writes with the 5-minute TTL, cache_creation_1h_tokens those with
-- the 1-hour TTL; the rollup adds them.
-- Monthly partitions with ttl_only_drop_parts = 1: expiry drops whole parts instead of rewriting them.
CREATE TABLE IF NOT EXISTS llm_usage
(
    event_id                 UUID,
    event_time               DateTime64(3, 'UTC'),
    user_id                  String,
    workspace_id             String,
    conversation_id          Nullable(UUID),
    message_id               String,
    agent_id                 LowCardinality(String),
    agent_db_id              String,
    model                    LowCardinality(String),
    provider                 LowCardinality(String),
    prompt_tokens            UInt64,
    completion_tokens        UInt64,
    total_tokens             UInt64,
    tool_use_prompt_tokens   UInt64,
    thoughts_tokens          UInt64,
    cached_tokens            UInt64,
    cache_creation_tokens    UInt64,
    cache_creation_1h_tokens UInt64,
    audio_prompt_tokens      UInt64,
    audio_completion_tokens  UInt64,
    call_sequence            UInt32,
    turn_id                  String,
    session_id               String,
    service_tier             LowCardinality(String),
    input_cost               Nullable(Decimal(38, 12)),
    cached_input_cost        Nullable(Decimal(38, 12)),
    cache_creation_cost      Nullable(Decimal(38, 12)),
    output_cost              Nullable(Decimal(38, 12)),
    reasoning_cost           Nullable(Decimal(38, 12)),
    audio_cost               Nullable(Decimal(38, 12)),
    tool_use_cost            Nullable(Decimal(38, 12)),
    cost_usd                 Nullable(Decimal(38, 12)),
    cost_status              Enum8('priced' = 1, 'unpriced' = 2, 'override' = 3),
    pricing_model            LowCardinality(String),
    pricing_id               UInt64,
    pricing_override_id      UInt64,
    batch_id                 UInt64,
    ingested_at              DateTime64(3, 'UTC'),
    INDEX idx_batch_id batch_id TYPE minmax GRANULARITY 1
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (user_id, workspace_id, event_time, event_id)
TTL toDateTime(event_time) + INTERVAL 13 MONTH
SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 1;
