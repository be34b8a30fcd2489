-- Reprice runs: who asked, when, over which range and filter, why, and what they found. A run is a JobRunr job
-- (usage_reprice) that goes through its range a day at a time; each day is one chunk, appended to ClickHouse's
-- llm_usage_adjustment under one deduplication token, then recorded here. A run killed anywhere resumes at its
-- first unfinished day and appends each adjustment exactly once.
CREATE TABLE usage_reprice_run (
    run_id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    requested_by     text        NOT NULL,          -- 'cli:<user>', 'pricing_refresh', 'pricing override', ...
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
    error            text,
    job_id           uuid,
    CONSTRAINT usage_reprice_run_range CHECK (to_day >= from_day)
);

CREATE INDEX usage_reprice_run_open ON usage_reprice_run (run_id) WHERE status IN ('queued', 'running');

-- One day of a run: what it examined and appended (the PostgreSQL side of reconcile for adjustments).
-- attempts > 0 with done_at NULL is a day whose insert may have reached ClickHouse: a rollup repair of its month
-- waits for it.
CREATE TABLE usage_reprice_day (
    run_id              bigint      NOT NULL REFERENCES usage_reprice_run (run_id),
    day                 date        NOT NULL,
    attempts            integer     NOT NULL DEFAULT 0,
    done_at             timestamptz,
    events_examined     bigint,
    events_adjusted     bigint,
    cost_before         numeric,                    -- current cost of the examined events before the run
    cost_after          numeric,
    unpriced_before     bigint,                     -- examined events unpriced before the run, and after it
    unpriced_after      bigint,
    unpriced_events     bigint,                     -- the sum of unpriced_delta
    cost_usd            numeric,                    -- the sums of the appended deltas, per component
    input_cost          numeric,
    cached_input_cost   numeric,
    cache_creation_cost numeric,
    output_cost         numeric,
    reasoning_cost      numeric,
    audio_cost          numeric,
    tool_use_cost       numeric,
    PRIMARY KEY (run_id, day)
);

CREATE INDEX usage_reprice_day_by_day ON usage_reprice_day (day) WHERE done_at IS NOT NULL;
