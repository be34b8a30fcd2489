package dev.tokenledger.usage;

import static dev.tokenledger.postgres.schema.Tables.SEAL_USAGE_BATCH;
import static dev.tokenledger.postgres.schema.Tables.USAGE_BATCH;
import static dev.tokenledger.postgres.schema.Tables.USAGE_EVENT;
import static org.jooq.impl.DSL.row;

import dev.tokenledger.postgres.schema.tables.records.UsageBatchRecord;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.jobrunr.scheduling.JobBuilder;
import org.jobrunr.scheduling.JobRequestScheduler;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cuts committed events into batches (see seal_usage_batch in the migrations) and turns each batch
 * into a {@code usage_write} JobRunr job, then wakes the local job workers so the job starts now
 * instead of at JobRunr's next poll.
 */
final class BatchSealer {
    private static final Logger LOG = LoggerFactory.getLogger(BatchSealer.class);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneOffset.UTC);

    private final DSLContext db;
    private final JobRequestScheduler jobs;
    private final Runnable wakeJobWorkers;
    private final WriterSettings settings;
    private final InstantSource clock;

    BatchSealer(DataSource dataSource, JobRequestScheduler jobs, Runnable wakeJobWorkers, WriterSettings settings,
                InstantSource clock) {
        this.db = DSL.using(dataSource, SQLDialect.POSTGRES);
        this.jobs = jobs;
        this.wakeJobWorkers = wakeJobWorkers;
        this.settings = settings;
        this.clock = clock;
    }

    /** Seals at most one batch and schedules its job; returns it, or null when nothing was ready. */
    UsageBatchRecord sealOne() {
        List<UsageBatchRecord> sealed = db.selectFrom(SEAL_USAGE_BATCH.call(settings.maxBatchEvents(),
                clock.instant().truncatedTo(ChronoUnit.MILLIS).atOffset(ZoneOffset.UTC))).fetchInto(UsageBatchRecord.class);
        if (sealed.isEmpty()) {
            return null;
        }
        UsageBatchRecord batch = sealed.getFirst();
        schedule(batch);
        return batch;
    }

    /** True when committed events wait past the last batch (held back by a transaction still running). */
    boolean eventsWaiting() {
        UsageBatchRecord last = db.selectFrom(USAGE_BATCH).orderBy(USAGE_BATCH.BATCH_ID.desc()).limit(1).fetchOne();
        long afterTx = last == null ? 0 : last.getLastTx();
        long afterSeq = last == null ? 0 : last.getLastSeq();
        return db.fetchExists(db.selectOne().from(USAGE_EVENT)
                .where(row(USAGE_EVENT.TX_ID, USAGE_EVENT.SEQ).gt(afterTx, afterSeq)));
    }

    /** Schedules jobs for batches sealed by a process that died before it could (crash recovery). */
    int scheduleOrphans() {
        List<UsageBatchRecord> orphans = db.selectFrom(USAGE_BATCH).where(USAGE_BATCH.JOB_ID.isNull())
                .orderBy(USAGE_BATCH.BATCH_ID).limit(1000).fetch();
        orphans.forEach(this::schedule);
        return orphans.size();
    }

    private void schedule(UsageBatchRecord batch) {
        UUID jobId = jobIdFor(batch.getBatchId());
        try {
            jobs.create(JobBuilder.aJob()
                    .withId(jobId)
                    .withName(jobName(batch))
                    .withAmountOfRetries(settings.jobRetries())
                    .withLabels(UsageWriteJob.JOB_KIND)
                    .withJobRequest(new UsageWriteRequestV1(batch.getBatchId())));
        } catch (RuntimeException e) {
            // An earlier attempt may have created it before dying; JobRunr refuses a second job with that id.
            if (!alreadyExists(e)) {
                throw e;
            }
            LOG.debug("usage_write job {} for batch {} already exists", jobId, batch.getBatchId());
        }
        db.update(USAGE_BATCH).set(USAGE_BATCH.JOB_ID, jobId).where(USAGE_BATCH.BATCH_ID.eq(batch.getBatchId()))
                .execute();
        wakeJobWorkers.run();
    }

    private static boolean alreadyExists(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage()).toLowerCase();
            if (m.contains("already exists") || m.contains("duplicate key")) {
                return true;
            }
        }
        return false;
    }

    /** One job per batch, forever: the id is derived from the batch id, so re-scheduling cannot duplicate it. */
    static UUID jobIdFor(long batchId) {
        return UUID.nameUUIDFromBytes(("tokenledger/usage_write/" + batchId).getBytes(StandardCharsets.UTF_8));
    }

    static String jobName(UsageBatchRecord batch) {
        String from = TIME.format(batch.getMinEventTime().toInstant());
        String to = TIME.format(batch.getMaxEventTime().toInstant());
        return UsageWriteJob.JOB_KIND + " batch " + batch.getBatchId() + ": " + batch.getEventCount() + " events, "
                + (from.equals(to) ? from : from + " .. " + to) + " UTC";
    }
}
