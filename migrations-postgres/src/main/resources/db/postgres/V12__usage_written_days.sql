-- What each batch wrote to ClickHouse, per event day: the Postgres side of reconcile. It outlives the
-- purge of usage_event, so old days can still be reconciled.
CREATE TABLE usage_written_day (
    batch_id                bigint  NOT NULL REFERENCES usage_batch (batch_id),
    day                     date    NOT NULL,
    events                  bigint  NOT NULL,
    unpriced_events         bigint  NOT NULL,
    prompt_tokens           bigint  NOT NULL,
    completion_tokens       bigint  NOT NULL,
    total_tokens            bigint  NOT NULL,
    cost_usd                numeric NOT NULL,
    PRIMARY KEY (batch_id, day)
);

CREATE INDEX usage_written_day_by_day ON usage_written_day (day);
