-- Lookups the writer makes on every retry and for every old event, served by projections instead of scans.
-- llm_usage is sorted by (user_id, workspace_id, event_time, event_id), so a filter on batch_id, or on event
-- ids over a time range, read every row of the months it names (3.3 M rows of a 10 M-row table for one
-- batch's presence check; all 10 M rows to look up 1,000 event ids). A projection is part of each part:
-- inserted, deduplicated, merged, attached and dropped (TTL) with it, so it never disagrees with its rows.
--   by_batch:      which months of a batch arrived, and in which parts (the retry's presence check);
--   by_event_time: is this event (id, at its time) already written: late duplicates, beyond PostgreSQL's
--                  idempotency window. Sorted by time first: a replay's events are close in time, so its
--                  lookup reads the granules of that stretch only (by event_id alone, 1,000 random ids
--                  touched almost every granule).
ALTER TABLE llm_usage ADD PROJECTION IF NOT EXISTS by_batch
    (SELECT batch_id, ingested_at, event_time ORDER BY batch_id, ingested_at);

ALTER TABLE llm_usage ADD PROJECTION IF NOT EXISTS by_event_time
    (SELECT event_time, event_id, batch_id, ingested_at ORDER BY event_time, event_id);

-- Parts written before this migration get them too (a background mutation; queries are right meanwhile,
-- only slower on those parts).
ALTER TABLE llm_usage MATERIALIZE PROJECTION by_batch;

ALTER TABLE llm_usage MATERIALIZE PROJECTION by_event_time;

-- A lightweight DELETE (erasure) rebuilds the projections of the parts it touches instead of refusing.
ALTER TABLE llm_usage MODIFY SETTING lightweight_mutation_projection_mode = 'rebuild';
