ALTER TABLE llm_usage_local ON CLUSTER `ledger_cluster` ADD COLUMN IF NOT EXISTS pricing_match LowCardinality(String) AFTER pricing_override_id,
    ADD COLUMN IF NOT EXISTS unpriced_reason LowCardinality(String) AFTER pricing_match,
ADD COLUMN IF NOT EXISTS pricing_flags LowCardinality(String) AFTER unpriced_reason;

ALTER TABLE llm_usage ON CLUSTER `ledger_cluster` ADD COLUMN IF NOT EXISTS pricing_match LowCardinality(String) AFTER pricing_override_id,
    ADD COLUMN IF NOT EXISTS unpriced_reason LowCardinality(String) AFTER pricing_match,
ADD COLUMN IF NOT EXISTS pricing_flags LowCardinality(String) AFTER unpriced_reason;

ALTER TABLE llm_usage_adjustment_local ON CLUSTER `ledger_cluster` ADD COLUMN IF NOT EXISTS pricing_match LowCardinality(String) AFTER pricing_override_id,
    ADD COLUMN IF NOT EXISTS unpriced_reason LowCardinality(String) AFTER pricing_match,
ADD COLUMN IF NOT EXISTS pricing_flags LowCardinality(String) AFTER unpriced_reason;

ALTER TABLE llm_usage_adjustment ON CLUSTER `ledger_cluster` ADD COLUMN IF NOT EXISTS pricing_match LowCardinality(String) AFTER pricing_override_id,
    ADD COLUMN IF NOT EXISTS unpriced_reason LowCardinality(String) AFTER pricing_match,
ADD COLUMN IF NOT EXISTS pricing_flags LowCardinality(String) AFTER unpriced_reason;

ALTER TABLE llm_usage_probe ON CLUSTER `ledger_cluster` ADD COLUMN IF NOT EXISTS pricing_match LowCardinality(String) AFTER pricing_override_id,
    ADD COLUMN IF NOT EXISTS unpriced_reason LowCardinality(String) AFTER pricing_match,
ADD COLUMN IF NOT EXISTS pricing_flags LowCardinality(String) AFTER unpriced_reason;
