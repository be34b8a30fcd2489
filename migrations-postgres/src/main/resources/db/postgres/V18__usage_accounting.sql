-- Every accepted event accounted for, per batch and day: written, dead-lettered or dropped as a late duplicate
-- (an event_id already in llm_usage from a batch purged from usage_event). reconcile checks, per day, that
-- accepted = written + dead-lettered + duplicates + pending.
--
-- The written side now keeps every token and cost column the rollups keep, so reconcile compares them all.
-- Rows written before this migration have NULL there (their events may be purged): reconcile compares a
-- column on a day only when every batch of that day recorded it.
ALTER TABLE usage_written_day
    ADD COLUMN accepted_events        bigint,
    ADD COLUMN dead_lettered_events   bigint,
    ADD COLUMN duplicate_events       bigint,
    ADD COLUMN tool_use_prompt_tokens bigint,
    ADD COLUMN thoughts_tokens        bigint,
    ADD COLUMN cached_tokens          bigint,
    ADD COLUMN cache_creation_tokens  bigint,
    ADD COLUMN audio_tokens           bigint,
    ADD COLUMN input_cost             numeric,
    ADD COLUMN cached_input_cost      numeric,
    ADD COLUMN cache_creation_cost    numeric,
    ADD COLUMN output_cost            numeric,
    ADD COLUMN reasoning_cost         numeric,
    ADD COLUMN audio_cost             numeric,
    ADD COLUMN tool_use_cost          numeric;

UPDATE usage_written_day w
   SET dead_lettered_events = (SELECT count(*) FROM usage_dead_letter d
                                WHERE d.batch_id = w.batch_id
                                  AND (d.event_time AT TIME ZONE 'UTC')::date = w.day),
       duplicate_events = 0;
UPDATE usage_written_day SET accepted_events = events + dead_lettered_events;

-- Late duplicates: events a writer found already in llm_usage under another batch, and did not write again.
CREATE TABLE usage_duplicate (
    batch_id        bigint      NOT NULL REFERENCES usage_batch (batch_id),
    event_id        uuid        NOT NULL,
    event_time      timestamptz NOT NULL,
    original_batch  bigint      NOT NULL,          -- llm_usage.batch_id of the row already there
    detected_at     timestamptz NOT NULL,
    PRIMARY KEY (batch_id, event_id)
);

CREATE INDEX usage_duplicate_event_time ON usage_duplicate (event_time);
