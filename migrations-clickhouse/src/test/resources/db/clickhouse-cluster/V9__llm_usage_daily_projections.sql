ALTER TABLE llm_usage_daily_local ON CLUSTER `ledger_cluster` MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';

ALTER TABLE llm_usage_daily_local ON CLUSTER `ledger_cluster` ADD PROJECTION IF NOT EXISTS by_model_agent
    (SELECT day, model, provider, agent_id,
        sum(events), sum(unpriced_events), sum(prompt_tokens), sum(completion_tokens),
        sum(total_tokens), sum(tool_use_prompt_tokens), sum(thoughts_tokens), sum(cached_tokens),
        sum(cache_creation_tokens), sum(audio_tokens), sum(image_tokens), sum(web_search_requests),
        sum(images), sum(cost_usd), sum(input_cost), sum(cached_input_cost),
        sum(cache_creation_cost), sum(output_cost), sum(reasoning_cost), sum(audio_cost),
        sum(tool_use_cost), sum(image_cost), sum(web_search_cost), sum(seconds_cost)
GROUP BY day, model, provider, agent_id);

ALTER TABLE llm_usage_daily_local ON CLUSTER `ledger_cluster` ADD PROJECTION IF NOT EXISTS by_workspace_agent
    (SELECT day, workspace_id, agent_id,
        sum(events), sum(unpriced_events), sum(prompt_tokens), sum(completion_tokens),
        sum(total_tokens), sum(tool_use_prompt_tokens), sum(thoughts_tokens), sum(cached_tokens),
        sum(cache_creation_tokens), sum(audio_tokens), sum(image_tokens), sum(web_search_requests),
        sum(images), sum(cost_usd), sum(input_cost), sum(cached_input_cost),
        sum(cache_creation_cost), sum(output_cost), sum(reasoning_cost), sum(audio_cost),
        sum(tool_use_cost), sum(image_cost), sum(web_search_cost), sum(seconds_cost)
GROUP BY day, workspace_id, agent_id);

ALTER TABLE llm_usage_daily_local ON CLUSTER `ledger_cluster` ADD PROJECTION IF NOT EXISTS by_workspace_model
    (SELECT day, workspace_id, model, provider,
        sum(events), sum(unpriced_events), sum(prompt_tokens), sum(completion_tokens),
        sum(total_tokens), sum(tool_use_prompt_tokens), sum(thoughts_tokens), sum(cached_tokens),
        sum(cache_creation_tokens), sum(audio_tokens), sum(image_tokens), sum(web_search_requests),
        sum(images), sum(cost_usd), sum(input_cost), sum(cached_input_cost),
        sum(cache_creation_cost), sum(output_cost), sum(reasoning_cost), sum(audio_cost),
        sum(tool_use_cost), sum(image_cost), sum(web_search_cost), sum(seconds_cost)
GROUP BY day, workspace_id, model, provider);

ALTER TABLE llm_usage_daily_local ON CLUSTER `ledger_cluster` ADD PROJECTION IF NOT EXISTS by_workspace_user
    (SELECT day, workspace_id, user_id,
        sum(events), sum(unpriced_events), sum(prompt_tokens), sum(completion_tokens),
        sum(total_tokens), sum(tool_use_prompt_tokens), sum(thoughts_tokens), sum(cached_tokens),
        sum(cache_creation_tokens), sum(audio_tokens), sum(image_tokens), sum(web_search_requests),
        sum(images), sum(cost_usd), sum(input_cost), sum(cached_input_cost),
        sum(cache_creation_cost), sum(output_cost), sum(reasoning_cost), sum(audio_cost),
        sum(tool_use_cost), sum(image_cost), sum(web_search_cost), sum(seconds_cost)
GROUP BY day, workspace_id, user_id);

ALTER TABLE llm_usage_daily_local ON CLUSTER `ledger_cluster` MATERIALIZE PROJECTION by_model_agent;

ALTER TABLE llm_usage_daily_local ON CLUSTER `ledger_cluster` MATERIALIZE PROJECTION by_workspace_agent;

ALTER TABLE llm_usage_daily_local ON CLUSTER `ledger_cluster` MATERIALIZE PROJECTION by_workspace_model;

ALTER TABLE llm_usage_daily_local ON CLUSTER `ledger_cluster` MATERIALIZE PROJECTION by_workspace_user;
