-- API keys kept in PostgreSQL (`./tokenledger keys create|list|revoke`), beside the admin keys of
-- TOKENLEDGER_API_KEYS. A key is `tl_<key_id>_<secret>`: key_id finds the row, the secret is never stored, only the
-- SHA-256 of the whole key (a 256-bit random secret needs no slow hash). Revoked keys stay, as the audit.
CREATE TABLE api_key (
    key_id        text        PRIMARY KEY,            -- the public part of the key, shown by `keys list`
    name          text        NOT NULL,
    key_sha256    bytea       NOT NULL,
    scopes        text[]      NOT NULL,               -- usage:write, reports:read, admin
    workspaces    text[],                             -- NULL: every workspace
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text        NOT NULL,
    revoked_at    timestamptz,
    revoked_by    text,
    last_used_at  timestamptz,                        -- updated in batches, a few seconds late at most
    CONSTRAINT api_key_id_format CHECK (key_id ~ '^[0-9a-f]{12}$'),
    CONSTRAINT api_key_hash_length CHECK (octet_length(key_sha256) = 32),
    CONSTRAINT api_key_scopes CHECK (cardinality(scopes) > 0
        AND scopes <@ ARRAY['usage:write', 'reports:read', 'admin']::text[]),
    CONSTRAINT api_key_workspaces CHECK (workspaces IS NULL OR cardinality(workspaces) > 0),
    CONSTRAINT api_key_revocation CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);

-- A name names one live key (a revoked key's name may be reused).
CREATE UNIQUE INDEX api_key_live_name ON api_key (name) WHERE revoked_at IS NULL;
