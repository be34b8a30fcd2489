-- Admin overrides beat the feed: a negotiated discount or a private model, effective-dated like the book.
-- The keys given in costs replace the feed's keys of the same name for the window; others come from the feed.
CREATE TABLE model_pricing_override (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model_key   text        NOT NULL,
    provider    text,
    valid_from  timestamptz NOT NULL,
    valid_to    timestamptz,
    costs       jsonb       NOT NULL,
    note        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT model_pricing_override_window CHECK (valid_to IS NULL OR valid_to > valid_from)
);

CREATE INDEX model_pricing_override_lookup ON model_pricing_override (model_key, valid_from);
