-- The NOTIFY of V14 costs every group commit more than the trigger: PostgreSQL serialises the commits of
-- notifying transactions on the notification queue's lock, so two commit threads cannot overlap their flushes.
-- A writer in the same process as the recorder is woken in memory and needs no notification; the recorder then
-- marks its insert quiet (set_config('tokenledger.notify', 'off', true): that statement's transaction only).
-- Every other insert (record() inside an application's transaction, an admin's SQL, a recorder that sees a
-- writer of another process listening) notifies as before.
DROP TRIGGER usage_event_recorded ON usage_event;

CREATE TRIGGER usage_event_recorded
    AFTER INSERT ON usage_event
    FOR EACH STATEMENT
    WHEN (current_setting('tokenledger.notify', true) IS DISTINCT FROM 'off')
    EXECUTE FUNCTION notify_usage_recorded();
