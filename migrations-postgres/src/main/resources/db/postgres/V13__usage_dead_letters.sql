-- Events ClickHouse rejected (a poison row), isolated from their batch with the error, so the rest of
-- the batch is written and nothing is lost silently. The payload is kept whole for a later replay.
CREATE TABLE usage_dead_letter (
    event_id          uuid        PRIMARY KEY,
    batch_id          bigint      NOT NULL REFERENCES usage_batch (batch_id),
    event_time        timestamptz NOT NULL,
    error             text        NOT NULL,
    clickhouse_code   integer,
    payload           jsonb       NOT NULL,
    dead_lettered_at  timestamptz NOT NULL
);

CREATE INDEX usage_dead_letter_batch ON usage_dead_letter (batch_id);
