CREATE TABLE IF NOT EXISTS llm_usage_local ON CLUSTER `ledger_cluster` (
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/llm_usage_local', '{replica}')
PARTITION BY toYYYYMM(event_time)
ORDER BY (user_id, workspace_id, event_time, event_id)
TTL toDateTime(event_time) + INTERVAL 13 MONTH
SETTINGS replicated_deduplication_window = 10000, replicated_deduplication_window_seconds = 604800, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS llm_usage ON CLUSTER `ledger_cluster` AS llm_usage_local ENGINE = Distributed('ledger_cluster', 'tokenledger', 'llm_usage_local', toYYYYMM(event_time));
