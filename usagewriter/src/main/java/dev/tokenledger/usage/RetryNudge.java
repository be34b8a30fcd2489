package dev.tokenledger.usage;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jobrunr.jobs.Job;
import org.jobrunr.jobs.states.ScheduledState;
import org.jobrunr.jobs.states.StateName;
import org.jobrunr.storage.ConcurrentJobModificationException;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.storage.navigation.AmountRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains the backlog as soon as ClickHouse is back. While ClickHouse is away every usage_write job fails
 * and JobRunr schedules its next attempt 3^n s later; after a 10-minute outage some wait another 12
 * minutes, after an hour-long one hours, although ClickHouse answers again. When a write succeeds after a
 * failure (seen in this process, or a retried job that now succeeds), this puts the usage_write jobs
 * waiting in SCHEDULED back in the queue at once.
 *
 * <p>A nudged attempt that fails counts as a retry like any other, so a flapping ClickHouse could spend
 * retries faster than the backoff would. Bounds: at most one nudge per {@link #MIN_INTERVAL}, only after
 * a write just succeeded, and never a job's last retry (it keeps its natural, longest backoff).
 */
final class RetryNudge implements BatchWriter.WriteOutcomes, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RetryNudge.class);
    static final Duration MIN_INTERVAL = Duration.ofSeconds(10);
    private static final int PAGE = 1000;

    private final StorageProvider storage;
    private final Runnable wakeJobWorkers;
    private final InstantSource clock;
    private final ExecutorService runner = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("usage-retry-nudge").daemon(true).factory());
    private final AtomicBoolean failureSeen = new AtomicBoolean();
    private final AtomicBoolean pending = new AtomicBoolean();
    private volatile long lastNudgeNanos = System.nanoTime() - MIN_INTERVAL.toNanos();

    RetryNudge(StorageProvider storage, Runnable wakeJobWorkers, InstantSource clock) {
        this.storage = storage;
        this.wakeJobWorkers = wakeJobWorkers;
        this.clock = clock;
    }

    /** A usage_write attempt failed in this process. */
    @Override
    public void failed() {
        failureSeen.set(true);
    }

    /** A usage_write attempt succeeded; {@code previousAttempts} is how many attempts of its batch came before. */
    @Override
    public void succeeded(int previousAttempts) {
        if (previousAttempts == 0 && !failureSeen.get()) {
            return;
        }
        if (!pending.compareAndSet(false, true)) {
            return; // one is already on its way; it will see every job waiting by then
        }
        try {
            runner.execute(this::nudgeAfterInterval);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            pending.set(false); // closed
        }
    }

    private void nudgeAfterInterval() {
        try {
            long wait = lastNudgeNanos + MIN_INTERVAL.toNanos() - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            failureSeen.set(false);
            lastNudgeNanos = System.nanoTime();
            int nudged = nudge();
            if (nudged > 0) {
                LOG.info("ClickHouse answers again: {} usage_write job(s) waiting for a retry are queued now", nudged);
                wakeJobWorkers.run();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("could not queue the usage_write jobs waiting for a retry (they keep their schedule): {}",
                    e.toString());
        } finally {
            pending.set(false);
        }
    }

    /** Queues every usage_write job waiting in SCHEDULED for a later attempt; returns how many. */
    int nudge() {
        Instant now = clock.instant();
        int nudged = 0;
        List<Job> page;
        do {
            page = storage.getJobList(StateName.SCHEDULED, new AmountRequest("updatedAt:ASC", PAGE));
            int before = nudged;
            for (Job job : page) {
                if (!FailedUsageWrites.isUsageWrite(job) || !spareRetry(job)
                        || !((ScheduledState) job.getJobState()).getScheduledAt().isAfter(now)) {
                    continue;
                }
                job.enqueue();
                try {
                    storage.save(job);
                    nudged++;
                } catch (ConcurrentJobModificationException e) {
                    LOG.debug("usage_write job {} changed while being nudged (JobRunr got to it first)", job.getId());
                }
            }
            if (nudged == before) {
                break; // what is left waiting is not ours to nudge
            }
        } while (page.size() == PAGE);
        return nudged;
    }

    /** True unless the job's next attempt is its last retry. */
    private static boolean spareRetry(Job job) {
        Integer retries = job.getAmountOfRetries();
        long failures = job.getJobStates().stream().filter(StateName.FAILED_STATES).count();
        return retries == null || failures < retries;
    }

    @Override
    public void close() {
        runner.shutdownNow();
    }
}
