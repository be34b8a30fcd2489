ALTER TABLE llm_usage_local ON CLUSTER `ledger_cluster` ADD COLUMN IF NOT EXISTS image_prompt_tokens UInt64 AFTER audio_completion_tokens,
    ADD COLUMN IF NOT EXISTS image_completion_tokens UInt64 AFTER image_prompt_tokens,
    ADD COLUMN IF NOT EXISTS web_search_requests UInt64 AFTER image_completion_tokens,
    ADD COLUMN IF NOT EXISTS input_images UInt64 AFTER web_search_requests,
    ADD COLUMN IF NOT EXISTS output_images UInt64 AFTER input_images,
    ADD COLUMN IF NOT EXISTS input_audio_seconds Decimal(20, 3) AFTER output_images,
    ADD COLUMN IF NOT EXISTS input_video_seconds Decimal(20, 3) AFTER input_audio_seconds,
    ADD COLUMN IF NOT EXISTS output_audio_seconds Decimal(20, 3) AFTER input_video_seconds,
    ADD COLUMN IF NOT EXISTS output_video_seconds Decimal(20, 3) AFTER output_audio_seconds,
    ADD COLUMN IF NOT EXISTS inference_geo LowCardinality(String) AFTER service_tier,
    ADD COLUMN IF NOT EXISTS image_cost Nullable(Decimal(38, 12)) AFTER tool_use_cost,
    ADD COLUMN IF NOT EXISTS web_search_cost Nullable(Decimal(38, 12)) AFTER image_cost,
ADD COLUMN IF NOT EXISTS seconds_cost Nullable(Decimal(38, 12)) AFTER web_search_cost;

ALTER TABLE llm_usage ON CLUSTER `ledger_cluster` ADD COLUMN IF NOT EXISTS image_prompt_tokens UInt64 AFTER audio_completion_tokens,
    ADD COLUMN IF NOT EXISTS image_completion_tokens UInt64 AFTER image_prompt_tokens,
    ADD COLUMN IF NOT EXISTS web_search_requests UInt64 AFTER image_completion_tokens,
    ADD COLUMN IF NOT EXISTS input_images UInt64 AFTER web_search_requests,
    ADD COLUMN IF NOT EXISTS output_images UInt64 AFTER input_images,
    ADD COLUMN IF NOT EXISTS input_audio_seconds Decimal(20, 3) AFTER output_images,
    ADD COLUMN IF NOT EXISTS input_video_seconds Decimal(20, 3) AFTER input_audio_seconds,
    ADD COLUMN IF NOT EXISTS output_audio_seconds Decimal(20, 3) AFTER input_video_seconds,
    ADD COLUMN IF NOT EXISTS output_video_seconds Decimal(20, 3) AFTER output_audio_seconds,
    ADD COLUMN IF NOT EXISTS inference_geo LowCardinality(String) AFTER service_tier,
    ADD COLUMN IF NOT EXISTS image_cost Nullable(Decimal(38, 12)) AFTER tool_use_cost,
    ADD COLUMN IF NOT EXISTS web_search_cost Nullable(Decimal(38, 12)) AFTER image_cost,
ADD COLUMN IF NOT EXISTS seconds_cost Nullable(Decimal(38, 12)) AFTER web_search_cost;

ALTER TABLE llm_usage_local ON CLUSTER `ledger_cluster` ADD CONSTRAINT IF NOT EXISTS prompt_contains_its_parts
    CHECK cached_tokens + cache_creation_tokens + cache_creation_1h_tokens + audio_prompt_tokens + image_prompt_tokens
<= prompt_tokens;

ALTER TABLE llm_usage_local ON CLUSTER `ledger_cluster` ADD CONSTRAINT IF NOT EXISTS completion_contains_its_parts
CHECK thoughts_tokens + audio_completion_tokens + image_completion_tokens <= completion_tokens;

DROP TABLE IF EXISTS llm_usage_probe ON CLUSTER `ledger_cluster` SYNC;

CREATE TABLE IF NOT EXISTS llm_usage_probe ON CLUSTER `ledger_cluster` AS llm_usage_local ENGINE = Null;

ALTER TABLE llm_usage_adjustment_local ON CLUSTER `ledger_cluster` ADD COLUMN IF NOT EXISTS image_cost Decimal(38, 12) AFTER tool_use_cost,
    ADD COLUMN IF NOT EXISTS web_search_cost Decimal(38, 12) AFTER image_cost,
ADD COLUMN IF NOT EXISTS seconds_cost Decimal(38, 12) AFTER web_search_cost;

ALTER TABLE llm_usage_adjustment ON CLUSTER `ledger_cluster` ADD COLUMN IF NOT EXISTS image_cost Decimal(38, 12) AFTER tool_use_cost,
    ADD COLUMN IF NOT EXISTS web_search_cost Decimal(38, 12) AFTER image_cost,
ADD COLUMN IF NOT EXISTS seconds_cost Decimal(38, 12) AFTER web_search_cost;

ALTER TABLE llm_usage_daily_local ON CLUSTER `ledger_cluster` ADD COLUMN IF NOT EXISTS image_tokens UInt64 AFTER audio_tokens,
    ADD COLUMN IF NOT EXISTS web_search_requests UInt64 AFTER image_tokens,
    ADD COLUMN IF NOT EXISTS images UInt64 AFTER web_search_requests,
    ADD COLUMN IF NOT EXISTS image_cost Decimal(38, 12) AFTER tool_use_cost,
    ADD COLUMN IF NOT EXISTS web_search_cost Decimal(38, 12) AFTER image_cost,
ADD COLUMN IF NOT EXISTS seconds_cost Decimal(38, 12) AFTER web_search_cost;

ALTER TABLE llm_usage_daily ON CLUSTER `ledger_cluster` ADD COLUMN IF NOT EXISTS image_tokens UInt64 AFTER audio_tokens,
    ADD COLUMN IF NOT EXISTS web_search_requests UInt64 AFTER image_tokens,
    ADD COLUMN IF NOT EXISTS images UInt64 AFTER web_search_requests,
    ADD COLUMN IF NOT EXISTS image_cost Decimal(38, 12) AFTER tool_use_cost,
    ADD COLUMN IF NOT EXISTS web_search_cost Decimal(38, 12) AFTER image_cost,
ADD COLUMN IF NOT EXISTS seconds_cost Decimal(38, 12) AFTER web_search_cost;

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_extras_mv ON CLUSTER `ledger_cluster` TO llm_usage_daily_local AS SELECT
    toDate(event_time)                                   AS day,
    workspace_id,
    user_id,
    agent_id,
    model,
    provider,
    sum(image_prompt_tokens + image_completion_tokens)   AS image_tokens,
    sum(web_search_requests)                             AS web_search_requests,
    sum(input_images + output_images)                    AS images,
    sum(ifNull(image_cost, toDecimal128(0, 12)))         AS image_cost,
    sum(ifNull(web_search_cost, toDecimal128(0, 12)))    AS web_search_cost,
    sum(ifNull(seconds_cost, toDecimal128(0, 12)))       AS seconds_cost
FROM llm_usage_local AS u
WHERE u.image_prompt_tokens + u.image_completion_tokens + u.web_search_requests + u.input_images + u.output_images > 0
   OR u.input_audio_seconds + u.input_video_seconds + u.output_audio_seconds + u.output_video_seconds > 0
GROUP BY day, workspace_id, user_id, agent_id, model, provider;

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_extras_adjustment_mv ON CLUSTER `ledger_cluster` TO llm_usage_daily_local AS SELECT
    toDate(event_time)   AS day,
    workspace_id,
    user_id,
    agent_id,
    model,
    provider,
    sum(image_cost)      AS image_cost,
    sum(web_search_cost) AS web_search_cost,
    sum(seconds_cost)    AS seconds_cost
FROM llm_usage_adjustment_local AS a
WHERE a.image_cost != 0 OR a.web_search_cost != 0 OR a.seconds_cost != 0
GROUP BY day, workspace_id, user_id, agent_id, model, provider;
