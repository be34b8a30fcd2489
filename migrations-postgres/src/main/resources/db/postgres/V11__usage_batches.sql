-- A batch is an immutable key range of usage_event in drain order: (after_tx, after_seq) exclusive to
-- (last_tx, last_seq) inclusive. Sealed once, it is re-read identically by every attempt to write it,
-- which is what makes its ClickHouse deduplication token honest.
CREATE TABLE usage_batch (
    batch_id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    after_tx        bigint      NOT NULL,
    after_seq       bigint      NOT NULL,
    last_tx         bigint      NOT NULL,
    last_seq        bigint      NOT NULL,
    event_count     integer     NOT NULL,
    min_event_time  timestamptz NOT NULL,
    max_event_time  timestamptz NOT NULL,
    sealed_at       timestamptz NOT NULL,
    job_id          uuid,                  -- the usage_write job that guarantees the write
    lease_owner     text,                  -- the worker writing it now
    lease_until     timestamptz,
    attempts        integer     NOT NULL DEFAULT 0,
    last_error      text,
    written_at      timestamptz,
    written_events  integer,               -- event_count minus dead-lettered events
    purged_at       timestamptz,           -- its events left usage_event (written and past the idempotency window)
    CONSTRAINT usage_batch_range CHECK ((last_tx, last_seq) > (after_tx, after_seq)),
    CONSTRAINT usage_batch_count CHECK (event_count > 0)
);

CREATE INDEX usage_batch_unwritten ON usage_batch (batch_id) WHERE written_at IS NULL;
CREATE INDEX usage_batch_unenqueued ON usage_batch (batch_id) WHERE job_id IS NULL;
CREATE INDEX usage_batch_unpurged ON usage_batch (written_at) WHERE purged_at IS NULL AND written_at IS NOT NULL;

-- Cuts the next batch: at most p_max_events events past the last batch, all from finished
-- transactions. Returns no row when another sealer holds the lock or nothing is ready.
CREATE FUNCTION seal_usage_batch(p_max_events integer, p_now timestamptz) RETURNS SETOF usage_batch
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
                                 min_event_time, max_event_time, sealed_at)
        VALUES (v_after_tx, v_after_seq, v_last_tx, v_last_seq, v_count, v_min, v_max, p_now)
        RETURNING *;
END
$$;
