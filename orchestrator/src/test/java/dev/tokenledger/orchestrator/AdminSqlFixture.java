package dev.tokenledger.orchestrator;

import dev.tokenledger.usage.TestWiring;
import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ClickHouseException;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.usage.TestEvents;
import dev.tokenledger.usage.UsageWriteRequestV1;
import dev.tokenledger.usage.UsageWriter;
import dev.tokenledger.usage.WriterSettings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jobrunr.jobs.Job;
import org.jobrunr.server.BackgroundJobServer;
import org.jobrunr.server.BackgroundJobServerConfiguration;
import org.jobrunr.server.JobActivator;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;

/**
 * A ledger whose PostgreSQL holds usage_write jobs in every JobRunr state, made through JobRunr's own
 * API: batches sealed by the real {@link UsageWriter} (which creates their ENQUEUED jobs), then moved
 * through PROCESSING to SUCCEEDED or FAILED, or back to SCHEDULED for a retry, by a background job
 * server's identity, and saved through the storage provider, as JobRunr's workers would.
 */
final class AdminSqlFixture {
    /** The batch of each job, by the state it was left in. */
    record Batches(long enqueued, long scheduledRetry, long orphaned, long succeeded, long failed, long failedTwice) {
    }

    private AdminSqlFixture() {
    }

    static Batches jobsInEveryState(Ledger ledger, ClickHouse clickHouse) throws SQLException {
        PostgresDatabase postgres = ledger.postgres();
        UsageWriter writer = TestWiring.sealer(postgres.dataSource(), clickHouse, ledger.pricing(), ledger.jobs(),
                WriterSettings.DEFAULTS.withMaxBatchEvents(2));
        ledger.recorder().record(TestEvents.events(12));
        writer.sealReady();
        List<Long> batches = batchIds(postgres);
        if (batches.size() != 6) {
            throw new IllegalStateException("expected 6 sealed batches, got " + batches);
        }
        StorageProvider storage = ledger.jobStorage();
        BackgroundJobServer worker = new BackgroundJobServer(storage, new JacksonJsonMapper(), new JobActivator() {
            @Override
            public <T> T activateJob(Class<T> type) {
                throw new UnsupportedOperationException("this server only lends its identity");
            }
        }, BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration().andName("admin-sql-test"));

        Job retry = job(storage, postgres, batches.get(1));
        fail(storage, worker, retry, "Code: 210. DB::NetException: Connection refused (clickhouse:8123)");
        retry.scheduleAt(Instant.now().plusSeconds(30), "Retry 1 of 11");
        storage.save(retry);

        Job orphan = job(storage, postgres, batches.get(2));
        orphan.startProcessingOn(worker);
        storage.save(orphan);
        execute(postgres, "UPDATE jobrunr_jobs SET updatedat = updatedat - interval '10 minutes' WHERE id = ?",
                orphan.getId().toString());

        Job done = job(storage, postgres, batches.get(3));
        done.startProcessingOn(worker);
        storage.save(done);
        writer.job().run(new UsageWriteRequestV1(batches.get(3)));
        done.succeeded();
        storage.save(done);

        Job failed = job(storage, postgres, batches.get(4));
        fail(storage, worker, failed, "Code: 241. DB::Exception: Memory limit (total) exceeded");

        Job twice = job(storage, postgres, batches.get(5));
        fail(storage, worker, twice, "Code: 210. DB::NetException: Connection refused (clickhouse:8123)");
        twice.enqueue();
        storage.save(twice);
        fail(storage, worker, twice, "Code: 241. DB::Exception: Memory limit (total) exceeded");

        execute(postgres, """
                INSERT INTO usage_dead_letter (event_id, batch_id, event_time, error, clickhouse_code, payload, dead_lettered_at)
                VALUES (?::uuid, ?, now(), 'Code: 53. DB::Exception: Type mismatch', 53, '{}', now())""",
                UUID.randomUUID().toString(), batches.get(3));
        return new Batches(batches.get(0), batches.get(1), batches.get(2), batches.get(3), batches.get(4), batches.get(5));
    }

    private static Job job(StorageProvider storage, PostgresDatabase postgres, long batchId) throws SQLException {
        try (Connection c = postgres.dataSource().getConnection();
             PreparedStatement st = c.prepareStatement("SELECT job_id FROM usage_batch WHERE batch_id = ?")) {
            st.setLong(1, batchId);
            var rs = st.executeQuery();
            rs.next();
            return storage.getJobById(rs.getObject(1, UUID.class));
        }
    }

    private static void fail(StorageProvider storage, BackgroundJobServer worker, Job job, String error) {
        job.startProcessingOn(worker);
        storage.save(job);
        job.failed("An exception occurred during the performance of the job",
                new ClickHouseException(error, null, null));
        storage.save(job);
    }

    private static List<Long> batchIds(PostgresDatabase postgres) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (Connection c = postgres.dataSource().getConnection();
             var rs = c.createStatement().executeQuery("SELECT batch_id FROM usage_batch ORDER BY batch_id")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    static void execute(PostgresDatabase postgres, String sql, Object... params) throws SQLException {
        try (Connection c = postgres.dataSource().getConnection(); PreparedStatement st = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                st.setObject(i + 1, params[i]);
            }
            st.execute();
        }
    }
}
