ALTER TABLE llm_usage_local ON CLUSTER `ledger_cluster` ADD PROJECTION IF NOT EXISTS by_batch
(SELECT batch_id, ingested_at, event_time ORDER BY batch_id, ingested_at);

ALTER TABLE llm_usage_local ON CLUSTER `ledger_cluster` ADD PROJECTION IF NOT EXISTS by_event_time
(SELECT event_time, event_id, batch_id, ingested_at ORDER BY event_time, event_id);

ALTER TABLE llm_usage_local ON CLUSTER `ledger_cluster` MATERIALIZE PROJECTION by_batch;

ALTER TABLE llm_usage_local ON CLUSTER `ledger_cluster` MATERIALIZE PROJECTION by_event_time;

ALTER TABLE llm_usage_local ON CLUSTER `ledger_cluster` MODIFY SETTING lightweight_mutation_projection_mode = 'rebuild';
