-- The durable write of record(): one statement for a whole group commit, one array per column.
-- Returns the ids that were new; an id already present (a client retry) is left alone and reported
-- by the caller as a duplicate.
CREATE FUNCTION record_usage_events(
    p_event_id                 uuid[],
    p_event_time               timestamptz[],
    p_user_id                  text[],
    p_workspace_id             text[],
    p_conversation_id          uuid[],
    p_message_id               text[],
    p_agent_id                 text[],
    p_agent_db_id              text[],
    p_model                    text[],
    p_provider                 text[],
    p_prompt_tokens            bigint[],
    p_completion_tokens        bigint[],
    p_total_tokens             bigint[],
    p_tool_use_prompt_tokens   bigint[],
    p_thoughts_tokens          bigint[],
    p_cached_tokens            bigint[],
    p_cache_creation_tokens    bigint[],
    p_cache_creation_1h_tokens bigint[],
    p_audio_prompt_tokens      bigint[],
    p_audio_completion_tokens  bigint[],
    p_call_sequence            integer[],
    p_turn_id                  text[],
    p_session_id               text[],
    p_service_tier             text[])
    RETURNS SETOF uuid
    LANGUAGE sql
AS $$
    INSERT INTO usage_event (event_id, event_time, user_id, workspace_id, conversation_id, message_id, agent_id,
                             agent_db_id, model, provider, prompt_tokens, completion_tokens, total_tokens,
                             tool_use_prompt_tokens, thoughts_tokens, cached_tokens, cache_creation_tokens,
                             cache_creation_1h_tokens, audio_prompt_tokens, audio_completion_tokens,
                             call_sequence, turn_id, session_id, service_tier)
    SELECT * FROM unnest(p_event_id, p_event_time, p_user_id, p_workspace_id, p_conversation_id, p_message_id,
                         p_agent_id, p_agent_db_id, p_model, p_provider, p_prompt_tokens, p_completion_tokens,
                         p_total_tokens, p_tool_use_prompt_tokens, p_thoughts_tokens, p_cached_tokens,
                         p_cache_creation_tokens, p_cache_creation_1h_tokens, p_audio_prompt_tokens,
                         p_audio_completion_tokens, p_call_sequence, p_turn_id, p_session_id, p_service_tier)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id
$$;

-- Wakes the writer (in this or another process) when events commit: NOTIFY is delivered at commit,
-- so a listener never looks for rows that are not visible yet. Whatever inserts (record(), record()
-- inside an application transaction, an admin's SQL), the writer hears of it.
CREATE FUNCTION notify_usage_recorded() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('tokenledger_usage', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER usage_event_recorded
    AFTER INSERT ON usage_event
    FOR EACH STATEMENT EXECUTE FUNCTION notify_usage_recorded();
