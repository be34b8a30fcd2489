-- The effective-dated price book, one row per (model, validity window), loaded from LiteLLM's feed.
-- A refresh that changes a model's price closes its current row (valid_to) and opens a new one, so an
-- event is always priced with the row that was valid at its event_time. Nothing is ever deleted.
CREATE TABLE model_pricing (
    id                              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model_key                       text        NOT NULL,  -- LiteLLM's key, e.g. 'gpt-4o' or 'vertex_ai/gemini-2.5-pro'
    provider                        text,                  -- litellm_provider
    mode                            text,                  -- chat, embedding, image_generation, ...
    valid_from                      timestamptz NOT NULL,  -- '-infinity' for the first price known of a model
    valid_to                        timestamptz,           -- NULL while current
    input_cost_per_token            numeric,
    output_cost_per_token           numeric,
    cache_read_input_token_cost     numeric,
    cache_creation_input_token_cost numeric,
    costs                           jsonb       NOT NULL,  -- every *cost* key of the entry, numbers kept exact
    attributes                      jsonb       NOT NULL,  -- every other key (context limits, supports_*, ...)
    content_hash                    text        NOT NULL,  -- sha-256 of the canonical entry: a change opens a new row
    gone_since                      timestamptz,           -- the feed stopped listing the model; its last price stays valid
    opened_by_refresh               bigint,
    CONSTRAINT model_pricing_window CHECK (valid_to IS NULL OR valid_to > valid_from)
);

CREATE UNIQUE INDEX model_pricing_current ON model_pricing (model_key) WHERE valid_to IS NULL;
CREATE INDEX model_pricing_history ON model_pricing (model_key, valid_from);
