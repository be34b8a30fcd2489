-- A dead letter stays unresolved (and the ledger not clean: health is degraded, reconcile says so) until an
-- admin replays it (re-validated, written under a new token recorded here) or discards it (with a reason).
-- Both are kept: the row is the audit.
ALTER TABLE usage_dead_letter
    ADD COLUMN resolution        text CHECK (resolution IN ('replayed', 'discarded')),
    ADD COLUMN resolved_at       timestamptz,
    ADD COLUMN resolved_by       text,
    ADD COLUMN resolution_reason text,
    ADD COLUMN replay_token      text,          -- the deduplication token of the replay, set before it is sent
    ADD COLUMN replay_ingested_at timestamptz,
    ADD CONSTRAINT usage_dead_letter_resolved CHECK ((resolution IS NULL) = (resolved_at IS NULL));

CREATE INDEX usage_dead_letter_unresolved ON usage_dead_letter (dead_lettered_at) WHERE resolution IS NULL;

-- What a replay wrote: one event, on the written side of reconcile (beside usage_written_day).
CREATE TABLE usage_written_replay (
    event_id               uuid    PRIMARY KEY REFERENCES usage_dead_letter (event_id),
    day                    date    NOT NULL,
    unpriced_events        bigint  NOT NULL,
    prompt_tokens          bigint  NOT NULL,
    completion_tokens      bigint  NOT NULL,
    total_tokens           bigint  NOT NULL,
    tool_use_prompt_tokens bigint  NOT NULL,
    thoughts_tokens        bigint  NOT NULL,
    cached_tokens          bigint  NOT NULL,
    cache_creation_tokens  bigint  NOT NULL,
    audio_tokens           bigint  NOT NULL,
    cost_usd               numeric NOT NULL,
    input_cost             numeric NOT NULL,
    cached_input_cost      numeric NOT NULL,
    cache_creation_cost    numeric NOT NULL,
    output_cost            numeric NOT NULL,
    reasoning_cost         numeric NOT NULL,
    audio_cost             numeric NOT NULL,
    tool_use_cost          numeric NOT NULL
);

CREATE INDEX usage_written_replay_day ON usage_written_replay (day);
