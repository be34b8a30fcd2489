-- Reprice runs: who asked, when, over which range and filter, why, and what they found. A run is a JobRunr job
-- (usage_reprice) that goes through its range month by month, in chunks of events in llm_usage's sort order
-- (user, workspace, time, event): each chunk is read back, priced, appended to ClickHouse's llm_usage_adjustment
-- under one deduplication token, then recorded here. A run killed anywhere resumes at its first chunk not done
-- and appends each adjustment exactly once.
CREATE TABLE usage_reprice_run (
    run_id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    requested_by     text        NOT NULL,          -- 'cli:<user>', 'back-pricing', ...
    reason           text        NOT NULL,
    from_day         date        NOT NULL,
    to_day           date        NOT NULL,          -- included
    models           text[]      NOT NULL,          -- matched against model and pricing_model; empty: all
    include_unpriced boolean     NOT NULL,          -- also every event unpriced now, whatever its model
    workspace_id     text,                          -- NULL: all
    status           text        NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    created_at       timestamptz NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    events_in_range  bigint,                        -- counted when it starts: its progress bar's length
    error            text,
    job_id           uuid,
    CONSTRAINT usage_reprice_run_range CHECK (to_day >= from_day)
);

CREATE INDEX usage_reprice_run_open ON usage_reprice_run (run_id) WHERE status IN ('queued', 'running');

-- One chunk of a run: the events of one month after one sort key (exclusive) up to another (inclusive, fixed when
-- the chunk is first read, so a resumed chunk reads the same range). attempts > 0 with done_at NULL is a chunk
-- whose insert may have reached ClickHouse: a rollup repair of its month waits for it.
CREATE TABLE usage_reprice_chunk (
    run_id           bigint      NOT NULL REFERENCES usage_reprice_run (run_id),
    month            integer     NOT NULL,          -- yyyymm
    seq              integer     NOT NULL,
    after_user       text,                          -- NULL: from the month's first event
    after_workspace  text,
    after_time       timestamptz,
    after_event      uuid,
    last_user        text        NOT NULL,
    last_workspace   text        NOT NULL,
    last_time        timestamptz NOT NULL,
    last_event       uuid        NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    done_at          timestamptz,
    events_examined  bigint,
    events_adjusted  bigint,
    cost_before      numeric,                       -- current cost of the examined events before the run
    cost_after       numeric,
    unpriced_before  bigint,                        -- examined events unpriced before the run, and after it
    unpriced_after   bigint,
    PRIMARY KEY (run_id, month, seq)
);

CREATE INDEX usage_reprice_chunk_open ON usage_reprice_chunk (month) WHERE done_at IS NULL;

-- What a chunk appended, per event day: the PostgreSQL side of reconcile for adjustments (written when the chunk
-- is done, from what ClickHouse holds for it).
CREATE TABLE usage_reprice_day (
    run_id              bigint  NOT NULL,
    month               integer NOT NULL,
    seq                 integer NOT NULL,
    day                 date    NOT NULL,
    adjusted            bigint  NOT NULL,
    unpriced_events     bigint  NOT NULL,           -- the sum of unpriced_delta
    cost_usd            numeric NOT NULL,           -- the sums of the appended deltas, per component
    input_cost          numeric NOT NULL,
    cached_input_cost   numeric NOT NULL,
    cache_creation_cost numeric NOT NULL,
    output_cost         numeric NOT NULL,
    reasoning_cost      numeric NOT NULL,
    audio_cost          numeric NOT NULL,
    tool_use_cost       numeric NOT NULL,
    PRIMARY KEY (run_id, month, seq, day),
    FOREIGN KEY (run_id, month, seq) REFERENCES usage_reprice_chunk (run_id, month, seq)
);

CREATE INDEX usage_reprice_day_by_day ON usage_reprice_day (day);
