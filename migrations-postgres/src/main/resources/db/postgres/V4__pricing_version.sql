-- One counter that moves whenever the price book or the overrides change, by any writer (a refresh, an
-- admin override, or SQL typed by hand). Every tokenledger process polls it to know when its in-memory
-- pricing snapshot is out of date: one tiny row read instead of scanning the price tables.
CREATE TABLE pricing_version (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    version    bigint      NOT NULL,
    changed_at timestamptz NOT NULL
);

INSERT INTO pricing_version (singleton, version, changed_at) VALUES (true, 0, now());

CREATE FUNCTION pricing_version_bump() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE pricing_version SET version = version + 1, changed_at = now();
    RETURN NULL;
END
$$;

CREATE TRIGGER model_pricing_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON model_pricing
    FOR EACH STATEMENT EXECUTE FUNCTION pricing_version_bump();

CREATE TRIGGER model_pricing_override_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON model_pricing_override
    FOR EACH STATEMENT EXECUTE FUNCTION pricing_version_bump();
