-- record_usage_events() (V14) has not been called since the recorder sends its body as a prepared statement of its
-- own (EventInsert): a SQL function's INSERT is planned again on every call. It also lagged the table (V23's columns),
-- so a caller would have silently lost those fields. One INSERT remains: EventInsert.SQL.
DROP FUNCTION IF EXISTS record_usage_events;
