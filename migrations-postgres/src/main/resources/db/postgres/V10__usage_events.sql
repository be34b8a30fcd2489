-- Every accepted usage event, durable from the moment record() returns, until it is written to
-- ClickHouse and older than the idempotency window.
--
-- Draining order is (tx_id, seq): tx_id is the inserting transaction's id, so a drainer that only
-- takes rows whose tx_id is below the oldest transaction still running (usage_drain_horizon()) sees a
-- set of rows that can never grow again. That is what lets a batch be defined by a key range and
-- re-read identically on every retry, without updating the event rows.
CREATE FUNCTION usage_current_tx() RETURNS bigint
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$ SELECT pg_current_xact_id()::text::bigint $$;

CREATE FUNCTION usage_drain_horizon() RETURNS bigint
    LANGUAGE sql VOLATILE
AS $$ SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint $$;

CREATE TABLE usage_event (
    event_id                 uuid        PRIMARY KEY,   -- the idempotency key: a second record is a duplicate
    seq                      bigint      GENERATED ALWAYS AS IDENTITY,
    tx_id                    bigint      NOT NULL DEFAULT usage_current_tx(),
    event_time               timestamptz NOT NULL,
    user_id                  text        NOT NULL,
    workspace_id             text        NOT NULL,
    conversation_id          uuid,
    message_id               text        NOT NULL DEFAULT '',
    agent_id                 text        NOT NULL DEFAULT '',
    agent_db_id              text        NOT NULL DEFAULT '',
    model                    text        NOT NULL,
    provider                 text        NOT NULL DEFAULT '',
    prompt_tokens            bigint      NOT NULL,
    completion_tokens        bigint      NOT NULL,
    total_tokens             bigint      NOT NULL,
    tool_use_prompt_tokens   bigint      NOT NULL DEFAULT 0,
    thoughts_tokens          bigint      NOT NULL DEFAULT 0,
    cached_tokens            bigint      NOT NULL DEFAULT 0,
    cache_creation_tokens    bigint      NOT NULL DEFAULT 0,
    cache_creation_1h_tokens bigint      NOT NULL DEFAULT 0,
    audio_prompt_tokens      bigint      NOT NULL DEFAULT 0,
    audio_completion_tokens  bigint      NOT NULL DEFAULT 0,
    call_sequence            integer     NOT NULL DEFAULT 0,
    turn_id                  text        NOT NULL DEFAULT '',
    session_id               text        NOT NULL DEFAULT '',
    service_tier             text        NOT NULL DEFAULT 'standard',
    accepted_at              timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX usage_event_drain_order ON usage_event (tx_id, seq);
CREATE INDEX usage_event_accepted_at ON usage_event (accepted_at);
