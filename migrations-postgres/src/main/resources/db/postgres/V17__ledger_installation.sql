-- The identity of this ledger: one UUID minted with the schema. ClickHouse keeps the id of the ledger that
-- writes into it (tokenledger_installation there); a PostgreSQL that does not match its ClickHouse (re-created,
-- or pointed at another ledger's ClickHouse) refuses to write instead of reusing batch ids ClickHouse has seen.
CREATE TABLE ledger_installation (
    singleton       boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    installation_id uuid        NOT NULL,
    created_at      timestamptz NOT NULL
);

INSERT INTO ledger_installation (singleton, installation_id, created_at) VALUES (true, gen_random_uuid(), now());

-- Every batch sealed from now on names the installation in its deduplication token (with its seal time, so a
-- PostgreSQL restored from a backup, whose batch ids start again below ids ClickHouse has seen, still makes new
-- tokens). Batches sealed before this migration keep installation_id NULL and their original token: one of them
-- may have reached ClickHouse already under it.
ALTER TABLE usage_batch ADD COLUMN installation_id uuid;

CREATE OR REPLACE FUNCTION seal_usage_batch(p_max_events integer, p_now timestamptz) RETURNS SETOF usage_batch
    LANGUAGE plpgsql
AS $$
DECLARE
    v_horizon   bigint := usage_drain_horizon();
    v_after_tx  bigint;
    v_after_seq bigint;
    v_count     integer;
    v_min       timestamptz;
    v_max       timestamptz;
    v_last_tx   bigint;
    v_last_seq  bigint;
BEGIN
    -- Batches must be cut in order, so one sealer at a time across every process.
    IF NOT pg_try_advisory_xact_lock(hashtext('tokenledger.seal_usage_batch')) THEN
        RETURN;
    END IF;

    SELECT b.last_tx, b.last_seq INTO v_after_tx, v_after_seq
      FROM usage_batch b ORDER BY b.batch_id DESC LIMIT 1;
    v_after_tx := coalesce(v_after_tx, 0);
    v_after_seq := coalesce(v_after_seq, 0);

    SELECT count(*), min(p.event_time), max(p.event_time),
           (array_agg(p.tx_id ORDER BY p.tx_id DESC, p.seq DESC))[1],
           (array_agg(p.seq ORDER BY p.tx_id DESC, p.seq DESC))[1]
      INTO v_count, v_min, v_max, v_last_tx, v_last_seq
      FROM (SELECT e.tx_id, e.seq, e.event_time
              FROM usage_event e
             WHERE (e.tx_id, e.seq) > (v_after_tx, v_after_seq)
               AND e.tx_id < v_horizon
             ORDER BY e.tx_id, e.seq
             LIMIT p_max_events) p;

    IF v_count = 0 THEN
        RETURN;
    END IF;

    RETURN QUERY
        INSERT INTO usage_batch (after_tx, after_seq, last_tx, last_seq, event_count,
                                 min_event_time, max_event_time, sealed_at, installation_id)
        VALUES (v_after_tx, v_after_seq, v_last_tx, v_last_seq, v_count, v_min, v_max, p_now,
                (SELECT i.installation_id FROM ledger_installation i))
        RETURNING *;
END
$$;
