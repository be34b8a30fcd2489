-- One row per pricing_refresh run, whatever its outcome, so admins can see why a feed was refused.
CREATE TABLE pricing_refresh_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    source          text        NOT NULL,  -- URL or file the feed came from
    outcome         text        NOT NULL,
    reason          text,                  -- why it was refused or failed, in words
    models_in_feed  integer,
    models_added    integer,
    models_changed  integer,
    models_removed  integer,
    entries_skipped integer,               -- malformed entries reported by name and skipped
    feed_sha256     text,
    etag            text,                  -- sent back as If-None-Match next time
    CONSTRAINT pricing_refresh_outcome CHECK
        (outcome IN ('running', 'applied', 'unchanged', 'not_modified', 'refused', 'failed'))
);

CREATE INDEX pricing_refresh_log_recent ON pricing_refresh_log (started_at DESC);
