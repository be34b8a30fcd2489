-- Models whose price stayed the same but whose other keys (context limits, supports_*, ...) changed: their
-- current row is updated in place, without opening a new price window.
ALTER TABLE pricing_refresh_log ADD COLUMN models_updated integer;
