-- The drain horizon counts only transactions of this database.
--
-- V10 took the horizon from pg_current_snapshot(), whose running transactions span the whole server:
-- one long transaction in any other database (a pg_dump, a report, a session left idle in transaction)
-- held back every batch here, so accepted events stopped reaching ClickHouse until it ended. Only a
-- transaction of this database can insert into usage_event, so the horizon is now the oldest running
-- transaction of this database (sessions and prepared transactions), or, when none runs, the snapshot's
-- xmax (every transaction below it has finished).
--
-- Why it stays safe: the snapshot is taken first, the sessions are read after it (fresh, not from the
-- session's cached statistics). A transaction of this database that was running at the snapshot is either
-- still running when the sessions are read (so it holds the horizon back) or has finished by then, and the
-- sealer's next statement, which takes a new snapshot under READ COMMITTED, sees its rows. A transaction
-- that gets its id later gets one at or above xmax. Under a stricter isolation level the sealer's rows are
-- read with the transaction's first snapshot, so the server-wide horizon of V10 is kept there.
CREATE OR REPLACE FUNCTION usage_drain_horizon() RETURNS bigint
    LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_snapshot pg_snapshot := pg_current_snapshot();
    v_here     bigint[];
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RETURN pg_snapshot_xmin(v_snapshot)::text::bigint;
    END IF;
    PERFORM pg_stat_clear_snapshot();
    SELECT array_agg(t.xid32) INTO v_here
      FROM (SELECT a.backend_xid::text::bigint AS xid32
              FROM pg_stat_activity a
             WHERE a.datid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
               AND a.backend_xid IS NOT NULL
            UNION ALL
            SELECT p.transaction::text::bigint
              FROM pg_prepared_xacts p
             WHERE p.database = current_database()) t;
    -- pg_stat_activity shows 32-bit xids; the snapshot's are 64-bit (epoch and xid), and a running one is
    -- never 2^31 or more behind xmax, so its low 32 bits identify it.
    RETURN least(pg_snapshot_xmax(v_snapshot)::text::bigint,
                 (SELECT min(x::text::bigint)
                    FROM pg_snapshot_xip(v_snapshot) x
                   WHERE x::text::bigint % 4294967296 = ANY (coalesce(v_here, '{}'))));
END
$$;
