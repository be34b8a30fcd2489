-- Reports read llm_usage_daily, which keeps one row per day, workspace, user, agent, model and provider (186,000 rows a
-- month at 10 M calls): every report summed them all. These aggregate projections keep the same sums per day over
-- fewer dimensions, and ClickHouse answers a report from the smallest one that has every column the report filters
-- and groups by (any other question reads the table as before). They replace the per-dimension rollup tables tried
-- and reverted (BENCHMARKS.md): a projection is stored inside each part of llm_usage_daily, so it is written by the
-- same insert, dropped by the same deduplication, merged, replaced (RollupRepair's REPLACE PARTITION: its staging
-- table is made AS this table, projections included), mutated (erasure's DELETE) and expired (TTL) with its part.
-- No crash can leave a projection apart from its rows: there is no second table to disagree.
-- Every projection keeps every measure, so reconcile's, budgets' and the usage page's sums can be served too.
--
-- SummingMergeTree merges rows (it sums them, and drops rows whose sums are all zero), so ClickHouse refuses
-- projections on it unless told what a merge does to them: 'rebuild' computes a merged part's projections again from
-- its merged rows, so they are always the sums of the rows they sit beside.
ALTER TABLE llm_usage_daily MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';

ALTER TABLE llm_usage_daily ADD PROJECTION IF NOT EXISTS by_model_agent
    (SELECT day, model, provider, agent_id,
        sum(events), sum(unpriced_events), sum(prompt_tokens), sum(completion_tokens),
        sum(total_tokens), sum(tool_use_prompt_tokens), sum(thoughts_tokens), sum(cached_tokens),
        sum(cache_creation_tokens), sum(audio_tokens), sum(image_tokens), sum(web_search_requests),
        sum(images), sum(cost_usd), sum(input_cost), sum(cached_input_cost),
        sum(cache_creation_cost), sum(output_cost), sum(reasoning_cost), sum(audio_cost),
        sum(tool_use_cost), sum(image_cost), sum(web_search_cost), sum(seconds_cost)
     GROUP BY day, model, provider, agent_id);

ALTER TABLE llm_usage_daily ADD PROJECTION IF NOT EXISTS by_workspace_agent
    (SELECT day, workspace_id, agent_id,
        sum(events), sum(unpriced_events), sum(prompt_tokens), sum(completion_tokens),
        sum(total_tokens), sum(tool_use_prompt_tokens), sum(thoughts_tokens), sum(cached_tokens),
        sum(cache_creation_tokens), sum(audio_tokens), sum(image_tokens), sum(web_search_requests),
        sum(images), sum(cost_usd), sum(input_cost), sum(cached_input_cost),
        sum(cache_creation_cost), sum(output_cost), sum(reasoning_cost), sum(audio_cost),
        sum(tool_use_cost), sum(image_cost), sum(web_search_cost), sum(seconds_cost)
     GROUP BY day, workspace_id, agent_id);

ALTER TABLE llm_usage_daily ADD PROJECTION IF NOT EXISTS by_workspace_model
    (SELECT day, workspace_id, model, provider,
        sum(events), sum(unpriced_events), sum(prompt_tokens), sum(completion_tokens),
        sum(total_tokens), sum(tool_use_prompt_tokens), sum(thoughts_tokens), sum(cached_tokens),
        sum(cache_creation_tokens), sum(audio_tokens), sum(image_tokens), sum(web_search_requests),
        sum(images), sum(cost_usd), sum(input_cost), sum(cached_input_cost),
        sum(cache_creation_cost), sum(output_cost), sum(reasoning_cost), sum(audio_cost),
        sum(tool_use_cost), sum(image_cost), sum(web_search_cost), sum(seconds_cost)
     GROUP BY day, workspace_id, model, provider);

ALTER TABLE llm_usage_daily ADD PROJECTION IF NOT EXISTS by_workspace_user
    (SELECT day, workspace_id, user_id,
        sum(events), sum(unpriced_events), sum(prompt_tokens), sum(completion_tokens),
        sum(total_tokens), sum(tool_use_prompt_tokens), sum(thoughts_tokens), sum(cached_tokens),
        sum(cache_creation_tokens), sum(audio_tokens), sum(image_tokens), sum(web_search_requests),
        sum(images), sum(cost_usd), sum(input_cost), sum(cached_input_cost),
        sum(cache_creation_cost), sum(output_cost), sum(reasoning_cost), sum(audio_cost),
        sum(tool_use_cost), sum(image_cost), sum(web_search_cost), sum(seconds_cost)
     GROUP BY day, workspace_id, user_id);

-- Parts written before this migration get them too (a background mutation; until it has run, a report reads those
-- parts' rows as before, with the same answer).

ALTER TABLE llm_usage_daily MATERIALIZE PROJECTION by_model_agent;

ALTER TABLE llm_usage_daily MATERIALIZE PROJECTION by_workspace_agent;

ALTER TABLE llm_usage_daily MATERIALIZE PROJECTION by_workspace_model;

ALTER TABLE llm_usage_daily MATERIALIZE PROJECTION by_workspace_user;
