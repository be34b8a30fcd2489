-- What a call is billed for besides its text tokens (issue 15), as PostgreSQL's usage_event keeps it (V23): image
-- tokens (parts of prompt_tokens and completion_tokens, like the audio ones), web searches, images priced per image,
-- seconds of audio and video priced per second (to the millisecond), and inference_geo, the region the provider ran
-- the call in when it bills a regional uplift. Their costs: image_cost (image tokens and images), web_search_cost,
-- seconds_cost; cost_usd is still the exact sum of every component. Rows written before read 0 and ''.
ALTER TABLE llm_usage
    ADD COLUMN IF NOT EXISTS image_prompt_tokens UInt64 AFTER audio_completion_tokens,
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

ALTER TABLE llm_usage ADD CONSTRAINT IF NOT EXISTS prompt_contains_its_parts
    CHECK cached_tokens + cache_creation_tokens + cache_creation_1h_tokens + audio_prompt_tokens + image_prompt_tokens
        <= prompt_tokens;

ALTER TABLE llm_usage ADD CONSTRAINT IF NOT EXISTS completion_contains_its_parts
    CHECK thoughts_tokens + audio_completion_tokens + image_completion_tokens <= completion_tokens;

-- The probe validates exactly llm_usage's rows (PoisonFinder inserts the writer's columns into it). A Null table
-- takes no new constraint, and it holds nothing: it is made again from llm_usage as it now is. A bisection running
-- at that moment fails and is retried.
DROP TABLE IF EXISTS llm_usage_probe;

CREATE TABLE IF NOT EXISTS llm_usage_probe AS llm_usage ENGINE = Null;

ALTER TABLE llm_usage_adjustment
    ADD COLUMN IF NOT EXISTS image_cost Decimal(38, 12) AFTER tool_use_cost,
    ADD COLUMN IF NOT EXISTS web_search_cost Decimal(38, 12) AFTER image_cost,
    ADD COLUMN IF NOT EXISTS seconds_cost Decimal(38, 12) AFTER web_search_cost;

-- The daily rollup keeps their counts and costs too. Two more views feed them rather than new SELECTs of the two
-- existing views: a view cannot change its query without being dropped and created again, and an insert in between
-- would never reach the rollup. SummingMergeTree adds these rows to the ones the first views write for the same key.
-- Only events and adjustments that have any of them are sent.
ALTER TABLE llm_usage_daily
    ADD COLUMN IF NOT EXISTS image_tokens UInt64 AFTER audio_tokens,
    ADD COLUMN IF NOT EXISTS web_search_requests UInt64 AFTER image_tokens,
    ADD COLUMN IF NOT EXISTS images UInt64 AFTER web_search_requests,
    ADD COLUMN IF NOT EXISTS image_cost Decimal(38, 12) AFTER tool_use_cost,
    ADD COLUMN IF NOT EXISTS web_search_cost Decimal(38, 12) AFTER image_cost,
    ADD COLUMN IF NOT EXISTS seconds_cost Decimal(38, 12) AFTER web_search_cost;

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_extras_mv TO llm_usage_daily AS
SELECT
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
FROM llm_usage AS u
WHERE u.image_prompt_tokens + u.image_completion_tokens + u.web_search_requests + u.input_images + u.output_images > 0
   OR u.input_audio_seconds + u.input_video_seconds + u.output_audio_seconds + u.output_video_seconds > 0
GROUP BY day, workspace_id, user_id, agent_id, model, provider;

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_extras_adjustment_mv TO llm_usage_daily AS
SELECT
    toDate(event_time)   AS day,
    workspace_id,
    user_id,
    agent_id,
    model,
    provider,
    sum(image_cost)      AS image_cost,
    sum(web_search_cost) AS web_search_cost,
    sum(seconds_cost)    AS seconds_cost
FROM llm_usage_adjustment AS a
WHERE a.image_cost != 0 OR a.web_search_cost != 0 OR a.seconds_cost != 0
GROUP BY day, workspace_id, user_id, agent_id, model, provider;
