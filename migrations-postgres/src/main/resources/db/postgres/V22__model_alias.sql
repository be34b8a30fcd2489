-- Admin aliases: a model name seen in traffic (a deployment name, a vendor id, a dated snapshot the feed does not
-- list) priced as a price book key, effective-dated like overrides and never deleted. Pricing tries the name
-- itself first (exact, case, provider prefix), then an alias valid at the event's time, then the documented
-- fallbacks (resource path, version suffix).
CREATE TABLE model_alias (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alias       text        NOT NULL,  -- matched ignoring case
    model_key   text        NOT NULL,  -- the price book key it is priced as
    valid_from  timestamptz NOT NULL,
    valid_to    timestamptz,           -- NULL while open
    note        text        NOT NULL,  -- why
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT model_alias_window CHECK (valid_to IS NULL OR valid_to > valid_from),
    CONSTRAINT model_alias_not_itself CHECK (lower(alias) <> lower(model_key))
);

CREATE INDEX model_alias_lookup ON model_alias (lower(alias), valid_from);

-- Every pricing process reloads its snapshot when an alias changes, as for the book and the overrides.
CREATE TRIGGER model_alias_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON model_alias
    FOR EACH STATEMENT EXECUTE FUNCTION pricing_version_bump();
