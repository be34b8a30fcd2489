-- Every rebuild of a rollup month from llm_usage, by the scheduled reconcile or by `reconcile --repair`: what was
-- wrong, what the rollup held before and after. Nothing in ClickHouse is changed without a row here.
CREATE TABLE usage_rollup_repair (
    repair_id      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    month          integer     NOT NULL,          -- yyyymm, the ClickHouse partition rebuilt
    rollup_table   text        NOT NULL,
    requested_by   text        NOT NULL,          -- 'usage_reconcile' (scheduled) or 'cli'
    reason         text        NOT NULL,          -- the differences reconcile found
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz,
    events_before  bigint,
    events_after   bigint,
    outcome        text                            -- 'rebuilt', or why it did not run
);

-- The scheduled reconcile's place: batches up to this id have been checked; months still to look at again.
CREATE TABLE usage_reconcile_state (
    singleton          boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    checked_through    bigint      NOT NULL,
    dirty_months       integer[]   NOT NULL,
    last_run_at        timestamptz
);

INSERT INTO usage_reconcile_state (singleton, checked_through, dirty_months) VALUES (true, 0, '{}');
