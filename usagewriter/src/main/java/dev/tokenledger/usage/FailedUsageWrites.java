package dev.tokenledger.usage;

import java.util.List;
import org.jobrunr.jobs.Job;
import org.jobrunr.jobs.states.StateName;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.storage.navigation.AmountRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * usage_write jobs that JobRunr gave up on after their retry horizon. They are never deleted: they stay
 * FAILED (and health stays degraded) until an admin requeues them, and their events stay in Postgres.
 *
 * <p>Safe to use from many threads.
 */
public final class FailedUsageWrites {
    private static final Logger LOG = LoggerFactory.getLogger(FailedUsageWrites.class);
    private static final int PAGE = 1000;

    private final StorageProvider storage;

    FailedUsageWrites(StorageProvider storage) {
        this.storage = storage;
    }

    public long count() {
        long n = 0;
        for (Job job : storage.getJobList(StateName.FAILED, new AmountRequest("updatedAt:ASC", Integer.MAX_VALUE))) {
            if (isUsageWrite(job)) {
                n++;
            }
        }
        return n;
    }

    /** Puts every FAILED usage_write job back in the queue; returns how many. */
    public int requeueAll() {
        int requeued = 0;
        List<Job> page;
        do {
            page = storage.getJobList(StateName.FAILED, new AmountRequest("updatedAt:ASC", PAGE));
            int before = requeued;
            for (Job job : page) {
                if (isUsageWrite(job)) {
                    job.enqueue();
                    storage.save(job);
                    requeued++;
                }
            }
            if (requeued == before) {
                break; // only other kinds of jobs are left FAILED
            }
        } while (page.size() == PAGE);
        if (requeued > 0) {
            LOG.info("requeued {} FAILED usage_write job(s)", requeued);
        }
        return requeued;
    }

    static boolean isUsageWrite(Job job) {
        return UsageWriteJob.class.getName().equals(job.getJobDetails().getClassName());
    }
}
