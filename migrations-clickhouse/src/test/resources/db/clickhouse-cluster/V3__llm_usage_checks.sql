ALTER TABLE llm_usage_local ON CLUSTER `ledger_cluster` ADD CONSTRAINT IF NOT EXISTS total_is_the_sum_of_its_parts
CHECK total_tokens = prompt_tokens + completion_tokens + tool_use_prompt_tokens;

ALTER TABLE llm_usage_local ON CLUSTER `ledger_cluster` ADD CONSTRAINT IF NOT EXISTS prompt_contains_cache_and_audio
CHECK cached_tokens + cache_creation_tokens + cache_creation_1h_tokens + audio_prompt_tokens <= prompt_tokens;

ALTER TABLE llm_usage_local ON CLUSTER `ledger_cluster` ADD CONSTRAINT IF NOT EXISTS completion_contains_reasoning_and_audio
CHECK thoughts_tokens + audio_completion_tokens <= completion_tokens;

ALTER TABLE llm_usage_local ON CLUSTER `ledger_cluster` ADD CONSTRAINT IF NOT EXISTS tokens_within_one_call
CHECK prompt_tokens <= 100000000 AND completion_tokens <= 100000000 AND tool_use_prompt_tokens <= 100000000;

CREATE TABLE IF NOT EXISTS llm_usage_probe ON CLUSTER `ledger_cluster` AS llm_usage_local ENGINE = Null;
