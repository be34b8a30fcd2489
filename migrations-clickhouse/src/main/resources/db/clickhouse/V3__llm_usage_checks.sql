-- The invariants every usage row keeps, checked by ClickHouse itself on every insert. The writer validates
-- the same rules first; a row that still breaks one (written into Postgres by hand, say) is refused here,
-- isolated, and dead-lettered instead of being summed into the ledger.
ALTER TABLE llm_usage ADD CONSTRAINT IF NOT EXISTS total_is_the_sum_of_its_parts
    CHECK total_tokens = prompt_tokens + completion_tokens + tool_use_prompt_tokens;

ALTER TABLE llm_usage ADD CONSTRAINT IF NOT EXISTS prompt_contains_cache_and_audio
    CHECK cached_tokens + cache_creation_tokens + cache_creation_1h_tokens + audio_prompt_tokens <= prompt_tokens;

ALTER TABLE llm_usage ADD CONSTRAINT IF NOT EXISTS completion_contains_reasoning_and_audio
    CHECK thoughts_tokens + audio_completion_tokens <= completion_tokens;

ALTER TABLE llm_usage ADD CONSTRAINT IF NOT EXISTS tokens_within_one_call
    CHECK prompt_tokens <= 100000000 AND completion_tokens <= 100000000 AND tool_use_prompt_tokens <= 100000000;

-- Validates like llm_usage and keeps nothing (Null engine): the writer bisects a rejected batch here to
-- find the bad rows without writing a single row twice.
CREATE TABLE IF NOT EXISTS llm_usage_probe AS llm_usage ENGINE = Null;
