-- Which process wrote a batch ("pid@host", as the JVM names itself), set with the written mark.
--
-- With several worker processes on one PostgreSQL, an operator (and the two-writers chaos scenario) needs to know
-- how the work was shared, durably: JobRunr's own record of it (the serverId in a job's history) is deleted with
-- the job after a few days and names a random id per process start. NULL for batches written before V28.
ALTER TABLE usage_batch ADD COLUMN written_by text;
