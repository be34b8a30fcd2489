package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.postgres.schema.tables.records.UsageBatchRecord;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jobrunr.scheduling.JobRequestScheduler;
import org.jobrunr.storage.StorageProvider;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background half of the pipeline: seals committed events into batches, schedules one
 * {@code usage_write} job per batch, and provides the job's body. Woken at once by the recorder in this
 * process and by PostgreSQL notifications from recorders in other processes, so an event on an idle
 * system reaches ClickHouse in well under a second although JobRunr itself polls every few seconds.
 *
 * <p>Handed out by {@link TokenLedger#writer()}, which starts it. Safe to use from many threads; one sealer thread
 * and one listener thread per writer; the {@code usage_write} handler runs in JobRunr's workers, any number at once.
 * Of several writers on one PostgreSQL (several processes), one seals at a time and the others stand by
 * ({@link SealerLease}); all of them write.
 */
public final class UsageWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UsageWriter.class);
    /** Channel notified by the usage_event trigger (V14__record_usage_events.sql; quiet inserts skip it: V29). */
    static final String CHANNEL = "tokenledger_usage";
    private static final Duration ORPHAN_SWEEP = Duration.ofSeconds(30);
    /** How often the sealer lowers the embedded engine's threads started since it last looked (BackgroundPriority). */
    private static final Duration ENGINE_THREAD_SWEEP = Duration.ofSeconds(5);
    /**
     * While writes fail (ClickHouse away), the sealer cuts batches at most this often: a 10-minute outage
     * then leaves a few large batches (each up to maxBatchEvents) instead of thousands of small jobs, each
     * retried with its stack trace saved by JobRunr, competing with record() for PostgreSQL.
     */
    static final Duration OUTAGE_LINGER = Duration.ofSeconds(10);

    private final DataSource dataSource;
    private final WriterSettings settings;
    private final BatchSealer sealer;
    private final SealerLease lease;
    private final BatchWriter batchWriter;
    private final UsageWriteJob job;
    private final LedgerIdentity identity;
    private final RetryNudge nudge;
    private final BackgroundPriority priority;
    /** When the writes of this process started failing (System.nanoTime), 0 while the last one succeeded. */
    private volatile long failingSince;
    private final Semaphore wake = new Semaphore(0);
    private final List<UsageWriteListener> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean running;
    private volatile boolean sealingNow;
    private Thread sealerThread;
    private Thread listenerThread;
    /** The backend pid of the listening session, 0 while not connected. */
    private volatile int listenerPid;

    /**
     * A writer without the recovery nudge: after a ClickHouse outage, failed usage_write jobs wait for their
     * next retry (3^n s). Prefer the constructor taking JobRunr's {@link StorageProvider}.
     */
    UsageWriter(DataSource dataSource, ClickHouse clickHouse, EventPricer pricer, JobRequestScheduler jobs,
                       Runnable wakeJobWorkers, WriterSettings settings, InstantSource clock) {
        this(dataSource, clickHouse, pricer, jobs, null, wakeJobWorkers, settings, clock);
    }

    /**
     * @param jobStorage JobRunr's storage: once ClickHouse answers again after failures, the usage_write jobs
     *                   waiting for a retry are queued at once instead of after their backoff (see
     *                   {@link RetryNudge}); null for none
     */
    UsageWriter(DataSource dataSource, ClickHouse clickHouse, EventPricer pricer, JobRequestScheduler jobs,
                       StorageProvider jobStorage, Runnable wakeJobWorkers, WriterSettings settings,
                       InstantSource clock) {
        this.dataSource = dataSource;
        this.settings = settings;
        this.sealer = new BatchSealer(dataSource, jobs, wakeJobWorkers, settings, clock);
        this.lease = new SealerLease(dataSource);
        this.nudge = jobStorage == null ? null : new RetryNudge(jobStorage, wakeJobWorkers, clock);
        this.priority = BackgroundPriority.of(settings.nice());
        this.identity = new LedgerIdentity(dataSource, clickHouse, clock);
        this.batchWriter = new BatchWriter(new BatchStore(dataSource), clickHouse, pricer, identity,
                settings.idempotencyWindow(), clock, new UsageWriteListener() {
            @Override
            public void written(long batchId, int events, long nanos) {
                tell(l -> l.written(batchId, events, nanos));
            }

            @Override
            public void failed(long batchId, RuntimeException error) {
                tell(l -> l.failed(batchId, error));
            }
        }, new BatchWriter.WriteOutcomes() {
            @Override
            public void succeeded(int previousAttempts) {
                failingSince = 0;
                if (nudge != null) {
                    nudge.succeeded(previousAttempts);
                }
            }

            @Override
            public void failed() {
                if (failingSince == 0) {
                    failingSince = System.nanoTime();
                }
                if (nudge != null) {
                    nudge.failed();
                }
            }
        });
        this.job = new UsageWriteJob(batchWriter);
    }

    /**
     * Connects the recorder of this process: its commits wake the sealer at once, and batches whose rows
     * it has just committed are written from memory instead of being read back from PostgreSQL (see
     * {@link RecentEvents}: the same rows in the same order either way).
     */
    public void attach(UsageRecorder recorder) {
        batchWriter.readFrom(recorder.recentEvents());
        recorder.onCommitted(this::wake);
        recorder.localWriter(() -> listenerPid);
    }

    /** Batches written so far whose rows came from memory (the recorder of this process) rather than PostgreSQL. */
    public long batchesReadFromMemory() {
        return batchWriter.batchesReadFromMemory();
    }

    /** Batches written so far whose rows were read from PostgreSQL. */
    public long batchesReadFromPostgres() {
        return batchWriter.batchesReadFromPostgres();
    }

    /** Whether this PostgreSQL and its ClickHouse belong to the same ledger (checked before any write). */
    public LedgerIdentity identity() {
        return identity;
    }

    BatchWriter batchWriter() {
        return batchWriter;
    }

    /** For tests: see {@link BatchWriter#resendWithinInserts(long)}. */
    void resendWithinInserts(long n) {
        batchWriter.resendWithinInserts(n);
    }

    /** The handler JobRunr must be able to activate for {@code usage_write} jobs. */
    public UsageWriteJob job() {
        return job;
    }

    /** Adds a listener that hears every written batch and every failed attempt (metrics use it). */
    public void addListener(UsageWriteListener listener) {
        listeners.add(listener);
    }

    /** A listener that throws must not turn a written batch into a failed job: log it and go on. */
    private void tell(java.util.function.Consumer<UsageWriteListener> call) {
        for (UsageWriteListener l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException e) {
                LOG.warn("usage write listener {} failed: {}", l, e.toString());
            }
        }
    }

    /** Starts sealing in the background (call once the JobRunr server is up). */
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        sealerThread = Thread.ofPlatform().name("usage-sealer").daemon(true).start(this::sealLoop);
        listenerThread = Thread.ofPlatform().name("usage-listener").daemon(true).start(this::listenLoop);
    }

    /** Asks the sealer to look now (the recorder calls it after each commit in this process). */
    public void wake() {
        wake.release();
    }

    /** Seals everything that is ready now and schedules the jobs; returns how many batches were sealed. */
    public int sealReady() {
        int sealed = 0;
        UsageBatchRecord batch;
        while ((batch = sealer.sealOne()) != null) {
            sealed++;
            if (batch.getEventCount() < settings.maxBatchEvents()) {
                break;
            }
        }
        return sealed;
    }

    private void sealLoop() {
        try {
            sealUntilClosed();
        } finally {
            sealingNow = false;
            lease.close(); // a standby takes over at once instead of after this process ends
        }
    }

    private void sealUntilClosed() {
        long lastSeal = 0;
        long lastOrphanSweep = 0;
        long lastEngineSweep = 0;
        long lastLeaseTry = 0;
        Duration recheck = null;
        RateLimitedLog errors = new RateLimitedLog(LOG, Duration.ofSeconds(30));
        while (running) {
            try {
                Duration wait = recheck != null ? recheck : settings.idlePoll();
                wake.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS);
                wake.drainPermits();
                long sinceLast = System.nanoTime() - lastSeal;
                if (sinceLast < settings.linger().toNanos()) {
                    // Under load, let the next batch fill instead of cutting many small ones.
                    TimeUnit.NANOSECONDS.sleep(settings.linger().toNanos() - sinceLast);
                }
                if (!running) {
                    return;
                }
                long untilOutageSeal = lastSeal + OUTAGE_LINGER.toNanos() - System.nanoTime();
                if (failingSince != 0 && untilOutageSeal > 0) {
                    // Writes fail: let the backlog grow into large batches rather than many small jobs.
                    recheck = min(Duration.ofNanos(untilOutageSeal), settings.idlePoll());
                    continue;
                }
                if (!sealingNow) {
                    // Standing by: commits elsewhere wake this loop many times a second, the lease is asked once
                    // per idle poll, which bounds the hand-over after the sealing process dies.
                    long untilLeaseTry = lastLeaseTry + settings.idlePoll().toNanos() - System.nanoTime();
                    if (lastLeaseTry != 0 && untilLeaseTry > 0) {
                        recheck = Duration.ofNanos(untilLeaseTry);
                        continue;
                    }
                    lastLeaseTry = System.nanoTime();
                }
                sealingNow = lease.hold();
                if (!sealingNow) {
                    // Another writer process seals (its death frees the lease: see SealerLease).
                    recheck = settings.idlePoll();
                    continue;
                }
                if (System.nanoTime() - lastOrphanSweep > ORPHAN_SWEEP.toNanos()) {
                    int orphans = sealer.scheduleOrphans();
                    if (orphans > 0) {
                        LOG.info("scheduled usage_write jobs for {} batch(es) sealed by a process that stopped", orphans);
                    }
                    lastOrphanSweep = System.nanoTime();
                }
                if (System.nanoTime() - lastEngineSweep > ENGINE_THREAD_SWEEP.toNanos()) {
                    priority.lowerEngineThreads();
                    lastEngineSweep = System.nanoTime();
                }
                int sealed = sealReady();
                if (sealed > 0) {
                    lastSeal = System.nanoTime();
                    recheck = null;
                } else if (sealer.eventsWaiting()) {
                    // Committed events wait behind a transaction that is still running: look again soon.
                    recheck = recheck == null ? Duration.ofMillis(10)
                            : min(recheck.multipliedBy(2), settings.idlePoll());
                } else {
                    recheck = null;
                }
                errors.recovered("usage sealer");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (SQLException | RuntimeException e) {
                errors.warn("usage sealer cannot seal batches (will keep trying)", e);
                recheck = settings.idlePoll();
            }
        }
    }

    /** Whether this process is the one sealing now (the others stand by; see {@link SealerLease}). */
    public boolean sealing() {
        return sealingNow;
    }

    private void listenLoop() {
        RateLimitedLog errors = new RateLimitedLog(LOG, Duration.ofSeconds(30));
        while (running) {
            try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
                // The name tells recorders of other processes that a writer listens (CommitNotifier).
                st.execute("SET application_name = '" + CommitNotifier.LISTENER_APPLICATION + "'");
                st.execute("LISTEN " + CHANNEL);
                PGConnection pg = c.unwrap(PGConnection.class);
                listenerPid = pg.getBackendPID();
                wake(); // anything committed while we were not listening
                errors.recovered("usage listener");
                try {
                    while (running) {
                        PGNotification[] notifications = pg.getNotifications(500);
                        if (notifications != null && notifications.length > 0) {
                            wake();
                        }
                    }
                } finally {
                    listenerPid = 0;
                }
                // Back to the pool as it came out of it.
                st.execute("UNLISTEN *");
                st.execute("RESET application_name");
            } catch (SQLException | RuntimeException e) {
                errors.warn("cannot listen for usage notifications (will reconnect)", e);
                try {
                    TimeUnit.SECONDS.sleep(1);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** Stops sealing. Batches already sealed stay queued as JobRunr jobs; nothing is lost. */
    @Override
    public synchronized void close() {
        running = false;
        wake.release();
        if (nudge != null) {
            nudge.close();
        }
        for (Thread t : new Thread[] {sealerThread, listenerThread}) {
            if (t != null) {
                try {
                    t.join(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
