-- What a price rests on besides its price row, kept with every row so a number can be traced and counted (issue
-- 15): how the model's name matched its price book key (pricing_match: exact, case_insensitive,
-- provider_prefix_stripped, provider_prefix_added, alias, resource_name_stripped, version_suffix_stripped; '' when
-- unpriced by name), why a row is unpriced (unpriced_reason: unknown_model, no_price_at_time, no_input_rate, ...;
-- '' when priced) and what a person may want to check about a priced row (pricing_flags: comma-separated, sorted:
-- unknown_service_tier, service_tier_not_priced; '' when none). On an adjustment they are the event's new ones.
-- Rows written before this migration read ''.
ALTER TABLE llm_usage
    ADD COLUMN IF NOT EXISTS pricing_match LowCardinality(String) AFTER pricing_override_id,
    ADD COLUMN IF NOT EXISTS unpriced_reason LowCardinality(String) AFTER pricing_match,
    ADD COLUMN IF NOT EXISTS pricing_flags LowCardinality(String) AFTER unpriced_reason;

ALTER TABLE llm_usage_adjustment
    ADD COLUMN IF NOT EXISTS pricing_match LowCardinality(String) AFTER pricing_override_id,
    ADD COLUMN IF NOT EXISTS unpriced_reason LowCardinality(String) AFTER pricing_match,
    ADD COLUMN IF NOT EXISTS pricing_flags LowCardinality(String) AFTER unpriced_reason;

-- The probe validates exactly llm_usage's rows (PoisonFinder inserts the writer's columns into it).
ALTER TABLE llm_usage_probe
    ADD COLUMN IF NOT EXISTS pricing_match LowCardinality(String) AFTER pricing_override_id,
    ADD COLUMN IF NOT EXISTS unpriced_reason LowCardinality(String) AFTER pricing_match,
    ADD COLUMN IF NOT EXISTS pricing_flags LowCardinality(String) AFTER unpriced_reason;
