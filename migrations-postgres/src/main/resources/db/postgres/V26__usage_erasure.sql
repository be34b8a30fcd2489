-- Erasure of a user's usage (./tokenledger erase): the audit of each erasure, its progress per month, what it
-- took out of PostgreSQL's written account per day (so reconcile still balances), and the erased event ids (so a
-- re-send is refused). None of these holds the user id once the erasure is done.

-- A batch whose every event was erased before it was written is marked written with no events.
ALTER TABLE usage_batch DROP CONSTRAINT usage_batch_count;
ALTER TABLE usage_batch ADD CONSTRAINT usage_batch_count CHECK (event_count >= 0);

-- A replayed dead letter of an erased user is deleted; what its replay wrote stays in the account (no personal data)
-- and the erasure's usage_erased_day takes it out again.
ALTER TABLE usage_written_replay DROP CONSTRAINT usage_written_replay_event_id_fkey;

CREATE TABLE usage_erasure (
    erasure_id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    requested_by         text        NOT NULL,
    reason               text        NOT NULL,
    -- Whose usage: held only while the erasure is not done (a crashed one must be resumable), NULL once done.
    user_id              text,
    workspace_id         text,
    scoped_to_workspace  boolean     NOT NULL,
    status               text        NOT NULL CHECK (status IN ('queued', 'running', 'done')),
    created_at           timestamptz NOT NULL,
    started_at           timestamptz,
    finished_at          timestamptz,
    error                text,
    job_id               uuid,
    CONSTRAINT usage_erasure_subject CHECK ((status = 'done') = (user_id IS NULL))
);

CREATE TABLE usage_erasure_month (
    erasure_id            bigint      NOT NULL REFERENCES usage_erasure (erasure_id),
    month                 integer     NOT NULL,          -- yyyymm
    state                 text        NOT NULL CHECK (state IN ('pending', 'counted', 'done')),
    last_batch_id         bigint,                         -- llm_usage rows of batches up to this one are erased
    events_removed        bigint      NOT NULL DEFAULT 0, -- rows removed from llm_usage
    staged_removed        bigint      NOT NULL DEFAULT 0, -- usage_event rows removed (written or not)
    unwritten_removed     bigint      NOT NULL DEFAULT 0, -- of those, not written yet
    dead_letters_removed  bigint      NOT NULL DEFAULT 0,
    adjustments_removed   bigint      NOT NULL DEFAULT 0,
    cost_removed          numeric     NOT NULL DEFAULT 0, -- written cost plus adjustments of the rows removed
    counted_at            timestamptz,
    done_at               timestamptz,
    PRIMARY KEY (erasure_id, month)
);

-- Per day, what an erasure took out of PostgreSQL's account: kind 'written' (llm_usage's rows: subtracted from the
-- written totals and, for events written by a batch, from accepted and written), 'adjustment' (subtracted from
-- usage_reprice_day's totals), 'dead_letter' (subtracted from accepted and dead-lettered).
CREATE TABLE usage_erased_day (
    erasure_id               bigint  NOT NULL REFERENCES usage_erasure (erasure_id),
    month                    integer NOT NULL,
    day                      date    NOT NULL,
    kind                     text    NOT NULL CHECK (kind IN ('written', 'adjustment', 'dead_letter')),
    accepted_events          bigint  NOT NULL DEFAULT 0,
    batch_written_events     bigint  NOT NULL DEFAULT 0,
    dead_lettered_events     bigint  NOT NULL DEFAULT 0,
    events                   numeric NOT NULL DEFAULT 0,
    unpriced_events          numeric NOT NULL DEFAULT 0,
    prompt_tokens            numeric NOT NULL DEFAULT 0,
    completion_tokens        numeric NOT NULL DEFAULT 0,
    total_tokens             numeric NOT NULL DEFAULT 0,
    tool_use_prompt_tokens   numeric NOT NULL DEFAULT 0,
    thoughts_tokens          numeric NOT NULL DEFAULT 0,
    cached_tokens            numeric NOT NULL DEFAULT 0,
    cache_creation_tokens    numeric NOT NULL DEFAULT 0,
    audio_tokens             numeric NOT NULL DEFAULT 0,
    image_tokens             numeric NOT NULL DEFAULT 0,
    web_search_requests      numeric NOT NULL DEFAULT 0,
    images                   numeric NOT NULL DEFAULT 0,
    cost_usd                 numeric NOT NULL DEFAULT 0,
    input_cost               numeric NOT NULL DEFAULT 0,
    cached_input_cost        numeric NOT NULL DEFAULT 0,
    cache_creation_cost      numeric NOT NULL DEFAULT 0,
    output_cost              numeric NOT NULL DEFAULT 0,
    reasoning_cost           numeric NOT NULL DEFAULT 0,
    audio_cost               numeric NOT NULL DEFAULT 0,
    tool_use_cost            numeric NOT NULL DEFAULT 0,
    image_cost               numeric NOT NULL DEFAULT 0,
    web_search_cost          numeric NOT NULL DEFAULT 0,
    seconds_cost             numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (erasure_id, day, kind)
);

CREATE INDEX usage_erased_day_by_day ON usage_erased_day (day);

-- Erased event ids (not personal data): the recorder refuses a re-send of one.
CREATE TABLE usage_erased_event (
    event_id    uuid    PRIMARY KEY,
    erasure_id  bigint  NOT NULL REFERENCES usage_erasure (erasure_id)
);
