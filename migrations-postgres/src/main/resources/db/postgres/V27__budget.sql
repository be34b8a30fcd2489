-- Budgets (`./tokenledger budget`, `/v1/budgets`): a USD limit per period for a scope, and the alerts they fired.
-- A scope is a workspace, narrowed by at most one of a user, an agent or a model family (a model name prefix:
-- 'gpt-4o' covers gpt-4o, gpt-4o-mini, gpt-4o-2024-08-06...). Money is NUMERIC, never a float.
CREATE TABLE budget (
    name          text          PRIMARY KEY,
    workspace_id  text          NOT NULL,
    user_id       text,
    agent_id      text,
    model_prefix  text,
    period        text          NOT NULL,             -- day, week (ISO: from Monday), month
    time_zone     text          NOT NULL DEFAULT 'UTC',
    limit_usd     numeric(20,6) NOT NULL,
    thresholds    numeric(6,4)[] NOT NULL DEFAULT ARRAY[0.5, 0.8, 1.0]::numeric(6,4)[], -- fractions of the limit
    hard          boolean       NOT NULL DEFAULT true, -- over the limit: check says stop
    webhook_url   text,                               -- alerts are POSTed here when set
    created_at    timestamptz   NOT NULL DEFAULT now(),
    updated_at    timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT budget_name_format CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,99}$'),
    CONSTRAINT budget_period CHECK (period IN ('day', 'week', 'month')),
    CONSTRAINT budget_limit_positive CHECK (limit_usd > 0),
    CONSTRAINT budget_one_narrowing CHECK (num_nonnulls(user_id, agent_id, model_prefix) <= 1),
    CONSTRAINT budget_thresholds CHECK (cardinality(thresholds) BETWEEN 1 AND 10)
);

CREATE INDEX budget_workspace ON budget (workspace_id);

-- One row per (budget, period, threshold) crossing: inserted ON CONFLICT DO NOTHING, so a crossing fires once
-- per period however many processes see it, and across restarts. enqueued_at is set once the delivery job
-- (deterministic id) is queued; delivered_at once the webhook answered 2xx.
CREATE TABLE budget_alert (
    budget_name   text          NOT NULL,
    period_start  timestamptz   NOT NULL,
    threshold     numeric(6,4)  NOT NULL,
    fired_at      timestamptz   NOT NULL DEFAULT now(),
    spend_usd     numeric(38,12) NOT NULL,
    limit_usd     numeric(20,6) NOT NULL,
    unpriced_events bigint      NOT NULL,
    job_id        uuid          NOT NULL,
    enqueued_at   timestamptz,
    delivered_at  timestamptz,
    attempts      integer       NOT NULL DEFAULT 0,
    PRIMARY KEY (budget_name, period_start, threshold)
);
