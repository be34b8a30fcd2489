-- usage_event_accepted_at (V10) is dropped: no query needs it (the backlog's oldest accepted_at is a min()
-- over the unsealed rows, which the drain-order index finds), and every recorded event paid for it: the
-- benchmarks measured about 3-4 µs of PostgreSQL CPU per event for maintaining it, some 15 % of the insert.
DROP INDEX IF EXISTS usage_event_accepted_at;
