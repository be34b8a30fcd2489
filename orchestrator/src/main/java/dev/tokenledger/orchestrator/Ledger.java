package dev.tokenledger.orchestrator;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ClickHouseMigrations;
import dev.tokenledger.clickhouse.EmbeddedClickHouse;
import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.pricing.Pricing;
import dev.tokenledger.pricing.PricingRefreshJob;
import dev.tokenledger.usage.FailedUsageWrites;
import dev.tokenledger.usage.JobServerWatchdog;
import dev.tokenledger.usage.PricingEventPricer;
import dev.tokenledger.usage.DeadLetters;
import dev.tokenledger.usage.LedgerIdentity;
import dev.tokenledger.usage.Reconciler;
import dev.tokenledger.usage.Repricer;
import dev.tokenledger.usage.RollupRepair;
import dev.tokenledger.usage.UsageReconcileJob;
import dev.tokenledger.usage.UsageRepriceJob;
import dev.tokenledger.usage.UsagePurgeJob;
import dev.tokenledger.usage.UsagePurger;
import dev.tokenledger.usage.UsageRecorder;
import dev.tokenledger.usage.UsageWriteJob;
import dev.tokenledger.usage.UsageWriter;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import org.jobrunr.dashboard.JobRunrDashboardWebServer;
import org.jobrunr.dashboard.JobRunrDashboardWebServerConfiguration;
import org.jobrunr.jobs.mappers.JobMapper;
import org.jobrunr.scheduling.JobRequestScheduler;
import org.jobrunr.server.BackgroundJobServer;
import org.jobrunr.server.BackgroundJobServerConfiguration;
import org.jobrunr.server.JobActivator;
import org.jobrunr.server.configuration.BackgroundJobServerThreadType;
import org.jobrunr.server.configuration.BackgroundJobServerWorkerPolicy;
import org.jobrunr.server.configuration.DefaultBackgroundJobServerWorkerPolicy;
import org.jobrunr.server.tasks.steward.OnboardNewWorkTask;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.storage.StorageProviderUtils.DatabaseOptions;
import org.jobrunr.storage.sql.postgres.PostgresStorageProvider;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place the service is wired, top to bottom: databases, schema, pricing, the record API, and,
 * for the running service, the JobRunr server, the usage writer, the watchdog and the dashboard.
 * Commands open it with what they need and close it when done; everything opened is closed in
 * reverse order.
 */
public final class Ledger implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Ledger.class);

    /** How much of the service a command needs. */
    public enum Mode {
        /** Databases, schema, pricing, record API: enough for CLI commands. */
        CLIENT,
        /**
         * CLIENT plus the background half: JobRunr server, usage writer, watchdog. No dashboard and no
         * recurring jobs (a worker beside a full service, and the benchmarks).
         */
        WORKER,
        /** Everything: JobRunr server, usage writer, watchdog, recurring jobs, dashboard. */
        SERVICE
    }

    private final Deque<AutoCloseable> closeables = new ArrayDeque<>();
    private final LedgerConfig config;
    private final InstantSource clock;
    private final PostgresDatabase postgres;
    private final ClickHouse clickHouse;
    private final Pricing pricing;
    private final StorageProvider jobStorage;
    private final JobRequestScheduler jobs;
    private final UsageRecorder recorder;
    private final Reports reports;
    private final Reconciler reconciler;
    private final RollupRepair rollupRepair;
    private final DeadLetters deadLetters;
    private final LedgerIdentity identity;
    private final Repricer repricer;
    private final FailedUsageWrites failedWrites;
    private BackgroundJobServer jobServer;
    private UsagePurgeJob purgeJob;
    private UsageReconcileJob reconcileJob;
    private UsageWriter writer;
    private JobServerWatchdog watchdog;
    private JobRunrDashboardWebServer dashboard;

    /** Opens the databases the configuration names, or uses the given ones (tests), which the caller closes. */
    private Ledger(LedgerConfig config, InstantSource clock, PostgresDatabase givenPostgres, ClickHouse givenClickHouse) {
        this.config = config;
        this.clock = clock;
        this.postgres = givenPostgres != null ? givenPostgres : remember(PostgresDatabase.open(config.postgres()));
        postgres.migrate();
        this.clickHouse = givenClickHouse != null ? givenClickHouse : remember(openClickHouse(config));
        new ClickHouseMigrations(clickHouse).migrate();

        this.pricing = remember(new Pricing(postgres.dataSource(), config.pricing(), clock));
        pricing.applyBundledSnapshotIfEmpty().ifPresent(r ->
                LOG.info("loaded the bundled LiteLLM price snapshot: {} models", r.modelsInFeed()));

        JacksonJsonMapper json = new JacksonJsonMapper();
        this.jobStorage = remember(new PostgresStorageProvider(postgres.dataSource(), DatabaseOptions.SKIP_CREATE));
        jobStorage.setJobMapper(new JobMapper(json));
        this.jobs = new JobRequestScheduler(jobStorage);

        this.recorder = remember(new UsageRecorder(postgres.dataSource(), config.recorder(), clock));
        this.reports = new Reports(clickHouse);
        this.reconciler = new Reconciler(postgres.dataSource(), clickHouse);
        this.rollupRepair = new RollupRepair(postgres.dataSource(), clickHouse, clock);
        this.deadLetters = new DeadLetters(postgres.dataSource(), clickHouse, new PricingEventPricer(pricing), clock);
        this.identity = new LedgerIdentity(postgres.dataSource(), clickHouse, clock);
        this.repricer = new Repricer(postgres.dataSource(), clickHouse, new PricingEventPricer(pricing), jobs, clock);
        if (config.writer().backPricing()) {
            pricing.onPriceChange(change -> repricer.backPrice(change).ifPresent(run ->
                    LOG.info("{}: queued reprice run {} ({} .. {})", change.cause(), run.runId(), run.from(), run.to())));
        }
        this.failedWrites = new FailedUsageWrites(jobStorage);
    }

    public static Ledger open(LedgerConfig config, Mode mode) {
        return open(config, mode, InstantSource.system());
    }

    public static Ledger open(LedgerConfig config, Mode mode, InstantSource clock) {
        return start(new Ledger(config, clock, null, null), mode);
    }

    /** For tests: the whole ledger on databases the test opened (and closes after the ledger). */
    static Ledger onDatabases(LedgerConfig config, Mode mode, InstantSource clock, PostgresDatabase postgres,
                              ClickHouse clickHouse) {
        return start(new Ledger(config, clock, postgres, clickHouse), mode);
    }

    private static Ledger start(Ledger ledger, Mode mode) {
        try {
            switch (mode) {
                case CLIENT -> { }
                case WORKER -> ledger.startWorker();
                case SERVICE -> ledger.startService();
            }
            return ledger;
        } catch (RuntimeException e) {
            ledger.close();
            throw e;
        }
    }

    private static ClickHouse openClickHouse(LedgerConfig config) {
        if (config.embeddedClickHouse()) {
            java.nio.file.Path dir = config.home().resolve("clickhouse");
            try {
                return EmbeddedClickHouse.open(dir, config.clickHouseDatabase());
            } catch (dev.tokenledger.clickhouse.ClickHouseException e) {
                throw new ConfigException("could not open the embedded ClickHouse in " + dir + " (" + e.getMessage()
                        + "). Most often another tokenledger process (`serve` or `demo`) has it open: chDB opens a data"
                        + " directory in one process only. Stop that process, use its HTTP API, or point "
                        + Setting.CLICKHOUSE_URL.env + " at a ClickHouse server");
            }
        }
        return ServerClickHouse.open(config.clickHouseServer());
    }

    private void startService() {
        startWorker();
        pricing.scheduleRecurringRefresh(jobs);
        purgeJob.scheduleHourly(jobs);
        reconcileJob.scheduleEvery(jobs, config.writer().reconcileInterval());
        startDashboard(new JacksonJsonMapper());
    }

    /**
     * Starts the background half (JobRunr server, usage writer, watchdog) on a ledger opened as
     * {@link Mode#CLIENT}; does nothing if it runs already. Events recorded before are picked up at once.
     */
    public synchronized void startWorker() {
        if (writer != null) {
            return;
        }
        requireSameLedger();
        JacksonJsonMapper json = new JacksonJsonMapper();
        Holder<OnboardNewWorkTask> onboard = new Holder<>();
        this.writer = remember(new UsageWriter(postgres.dataSource(), clickHouse, new PricingEventPricer(pricing), jobs,
                jobStorage, () -> onboard.run(OnboardNewWorkTask::runTaskThreadSafe), config.writer(), clock));
        this.purgeJob = new UsagePurgeJob(new UsagePurger(postgres.dataSource(),
                config.writer().idempotencyWindow(), clock));
        this.reconcileJob = new UsageReconcileJob(postgres.dataSource(), reconciler, rollupRepair, clock);
        Map<Class<?>, Object> handlers = Map.of(
                UsageWriteJob.class, writer.job(),
                PricingRefreshJob.class, pricing.refreshJob(),
                UsagePurgeJob.class, purgeJob,
                UsageReconcileJob.class, reconcileJob,
                UsageRepriceJob.class, new UsageRepriceJob(repricer));
        this.jobServer = new BackgroundJobServer(jobStorage, json, new HandlerActivator(handlers),
                BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration()
                        .andPollInterval(config.jobRunrPoll())
                        .andBackgroundJobServerWorkerPolicy(workerPolicy(config.workers())));
        jobServer.start();
        closeables.push(jobServer::stop);
        onboard.set(new OnboardNewWorkTask(jobServer));

        writer.attach(recorder); // wakes the sealer on every commit, hands committed events over in memory
        writer.start();
        this.watchdog = remember(new JobServerWatchdog(jobServer, postgres.dataSource(), Duration.ofSeconds(5)));
    }

    /**
     * Refuses to start the writer on a PostgreSQL that belongs to another ledger than its ClickHouse (the writer
     * checks again before every first write, so a ClickHouse that is down now is checked once it answers).
     */
    private void requireSameLedger() {
        try {
            identity.requireMatch();
        } catch (LedgerIdentity.MismatchException e) {
            throw new ConfigException(e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("could not check that PostgreSQL and ClickHouse belong to the same ledger now ({}); the writer"
                    + " checks before its first write", e.toString());
        }
    }

    /**
     * JobRunr's workers on platform threads. On Java 21+ JobRunr defaults to virtual threads, but a
     * usage_write job spends most of its time in native chDB calls (the FFM API pins the carrier) and in
     * CPU-bound encoding: two such jobs occupied both carriers of a 2-core machine and every other virtual
     * thread in the process (callers of record(), HTTP handlers) waited up to a whole insert to resume.
     */
    public static BackgroundJobServerWorkerPolicy workerPolicy(int workers) {
        return new DefaultBackgroundJobServerWorkerPolicy(workers, BackgroundJobServerThreadType.PlatformThreads);
    }

    private void startDashboard(JacksonJsonMapper json) {
        LedgerConfig.Dashboard d = config.dashboard();
        JobRunrDashboardWebServerConfiguration dashboardConfig = JobRunrDashboardWebServerConfiguration
                .usingStandardDashboardConfiguration()
                .andPort(d.port())
                .andAllowAnonymousDataUsage(false);
        if (d.hasPassword()) {
            dashboardConfig.andBasicAuthentication(d.user(), d.password());
        } else if (!d.localOnly()) {
            throw new ConfigException(Setting.DASHBOARD_PASSWORD.env + " is not set: JobRunr's dashboard will not start"
                    + " without a password unless " + Setting.LOCAL_ONLY.env + "=true says this machine is local-only");
        } else {
            LOG.warn("JobRunr's dashboard runs without a password ({}=true)", Setting.LOCAL_ONLY.env);
        }
        this.dashboard = new JobRunrDashboardWebServer(jobStorage, json, dashboardConfig);
        dashboard.start();
        closeables.push(dashboard::stop);
    }

    private <T extends AutoCloseable> T remember(T closeable) {
        closeables.push(closeable);
        return closeable;
    }

    public LedgerConfig config() {
        return config;
    }

    public InstantSource clock() {
        return clock;
    }

    public PostgresDatabase postgres() {
        return postgres;
    }

    public ClickHouse clickHouse() {
        return clickHouse;
    }

    public Pricing pricing() {
        return pricing;
    }

    public UsageRecorder recorder() {
        return recorder;
    }

    public Reports reports() {
        return reports;
    }

    public Reconciler reconciler() {
        return reconciler;
    }

    public RollupRepair rollupRepair() {
        return rollupRepair;
    }

    public DeadLetters deadLetters() {
        return deadLetters;
    }

    public LedgerIdentity identity() {
        return identity;
    }

    /** Reprice runs (corrections appended to written usage), their list and cost explanations. */
    public Repricer repricer() {
        return repricer;
    }

    /** The usage_reconcile job's body; empty unless the background half runs. */
    public Optional<UsageReconcileJob> reconcileJob() {
        return Optional.ofNullable(reconcileJob);
    }

    public FailedUsageWrites failedWrites() {
        return failedWrites;
    }

    public StorageProvider jobStorage() {
        return jobStorage;
    }

    public JobRequestScheduler jobs() {
        return jobs;
    }

    /** The usage writer; empty unless the ledger runs as the service. */
    public Optional<UsageWriter> writer() {
        return Optional.ofNullable(writer);
    }

    public Optional<BackgroundJobServer> jobServer() {
        return Optional.ofNullable(jobServer);
    }

    public Optional<JobServerWatchdog> watchdog() {
        return Optional.ofNullable(watchdog);
    }

    /** Closes in reverse order of opening: stop accepting, commit what was accepted, stop jobs, then databases. */
    @Override
    public void close() {
        while (!closeables.isEmpty()) {
            AutoCloseable c = closeables.pop();
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("error while shutting down {}: {}", c, e.toString());
            }
        }
    }

    /** JobRunr asks for job handlers by class; these are the only ones the service runs. */
    private record HandlerActivator(Map<Class<?>, Object> handlers) implements JobActivator {
        @Override
        public <T> T activateJob(Class<T> type) {
            Object handler = handlers.get(type);
            if (handler == null) {
                throw new IllegalStateException("no handler for job type " + type.getName());
            }
            return type.cast(handler);
        }
    }

    private static final class Holder<T> {
        private volatile T value;

        void set(T v) {
            value = v;
        }

        void run(java.util.function.Consumer<T> action) {
            T v = value;
            if (v != null) {
                action.accept(v);
            }
        }
    }
}
