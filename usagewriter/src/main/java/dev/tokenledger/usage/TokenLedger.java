package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ClickHouseMigrations;
import dev.tokenledger.clickhouse.ClickHouseTopology;
import dev.tokenledger.clickhouse.EmbeddedClickHouse;
import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.PostgresSettings;
import dev.tokenledger.pricing.Pricing;
import dev.tokenledger.pricing.PricingRefreshJob;
import dev.tokenledger.pricing.PricingSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.jobrunr.jobs.mappers.JobMapper;
import org.jobrunr.scheduling.JobRequestScheduler;
import org.jobrunr.server.BackgroundJobServer;
import org.jobrunr.server.BackgroundJobServerConfiguration;
import org.jobrunr.server.JobActivator;
import org.jobrunr.server.configuration.BackgroundJobServerThreadType;
import org.jobrunr.server.configuration.DefaultBackgroundJobServerWorkerPolicy;
import org.jobrunr.server.tasks.steward.OnboardNewWorkTask;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.storage.StorageProviderUtils.DatabaseOptions;
import org.jobrunr.storage.sql.postgres.PostgresStorageProvider;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * tokenledger as a library: the one entry point of this module. Give it what the host has (a PostgreSQL
 * {@link DataSource} or JDBC URL, a ClickHouse, pricing settings, a clock) and it hands back the
 * {@link #recorder() record API}, the {@link #writer() usage writer}, {@link #reconciler() reconcile},
 * {@link #reports() reports} and the rest, wired to each other.
 *
 * <pre>{@code
 * try (TokenLedger ledger = TokenLedger.builder()
 *         .postgres(dataSource)
 *         .clickHouse(ServerClickHouse.Settings.of("http://clickhouse:8123", "default", password, "tokenledger"))
 *         .build()
 *         .start()) {
 *     ledger.recorder().record(event);   // durable in PostgreSQL when it returns
 * }
 * }</pre>
 *
 * <p><b>Guarantees.</b> An event {@code record} accepted is committed to PostgreSQL before the call returns, and
 * the writer puts it into ClickHouse exactly once, through crashes and retries (see {@link UsageRecorder} and
 * {@link UsageWriter}). Nothing is written to ClickHouse until {@link #start()} (or {@link #start(BackgroundJobServer)}):
 * events recorded before wait in PostgreSQL and are picked up then.
 *
 * <p><b>Jobs.</b> Writing runs as JobRunr jobs ({@code usage_write}, and the recurring {@code pricing_refresh},
 * {@code usage_purge}, {@code usage_reconcile}, plus {@code usage_reprice} runs and {@code budget_alert}
 * deliveries). Either tokenledger starts its
 * own JobRunr background server on its PostgreSQL ({@link Builder#ownJobServer}, the default), or the jobs run in
 * the host's JobRunr ({@link Builder#hostJobRunr}): the host's server must resolve job handlers through
 * {@link #jobActivator()} (composed with its own), and its dashboard shows the jobs.
 *
 * <p><b>Threads.</b> Every accessor is safe to call from any thread; so are the objects handed out, as their own
 * documentation says. {@link #close()} stops accepting records, commits what was accepted, stops the writer and
 * the job server tokenledger started, then closes what the builder opened (never what the host passed in).
 */
public final class TokenLedger implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TokenLedger.class);

    private final Deque<AutoCloseable> closeables = new ArrayDeque<>();
    private final Builder settings;
    private final DataSource dataSource;
    private final ClickHouse clickHouse;
    private final Pricing pricing;
    private final EventPricer pricer;
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
    private final UsageBacklog backlog;
    private final UsagePurgeJob purgeJob;
    private final UsageReconcileJob reconcileJob;
    private final UsageRepriceJob repriceJob;
    private final Eraser eraser;
    private final UsageEraseJob eraseJob;
    private final Budgets budgets;
    private final BudgetAlertJob budgetAlertJob;
    private final JobActivator activator;
    private volatile OnboardNewWorkTask onboard;
    private UsageWriter writer;
    private boolean started;
    private BackgroundJobServer jobServer;
    private JobServerWatchdog watchdog;

    private TokenLedger(Builder b) {
        this.settings = b;
        try {
            this.dataSource = b.dataSource != null ? b.dataSource : remember(PostgresDatabase.open(b.postgresSettings))
                    .dataSource();
            if (b.migrate) {
                PostgresDatabase.migrate(dataSource, b.hostJobStorage == null);
            }
            this.clickHouse = b.clickHouse != null ? b.clickHouse : remember(openClickHouse(b));
            if (b.migrate) {
                new ClickHouseMigrations(clickHouse, b.clickHouseTopology).migrate();
            }
            this.pricing = remember(new Pricing(dataSource, b.pricing, b.clock));
            if (b.bundledPrices) {
                pricing.applyBundledSnapshotIfEmpty().ifPresent(r ->
                        LOG.info("loaded the bundled LiteLLM price snapshot: {} models", r.modelsInFeed()));
            }
            this.pricer = new PricingEventPricer(pricing);
            if (b.hostJobStorage != null) {
                this.jobStorage = b.hostJobStorage;
            } else {
                this.jobStorage = remember(new PostgresStorageProvider(dataSource, DatabaseOptions.SKIP_CREATE));
                jobStorage.setJobMapper(new JobMapper(new JacksonJsonMapper()));
            }
            this.jobs = new JobRequestScheduler(jobStorage);
            this.recorder = remember(new UsageRecorder(dataSource, b.recorder, b.clock));
            this.reports = new Reports(clickHouse);
            this.reconciler = new Reconciler(dataSource, clickHouse);
            this.rollupRepair = new RollupRepair(dataSource, clickHouse, b.clock);
            this.deadLetters = new DeadLetters(dataSource, clickHouse, pricer, b.clock);
            this.identity = new LedgerIdentity(dataSource, clickHouse, b.clock);
            this.repricer = new Repricer(dataSource, clickHouse, pricer, jobs, b.clock);
            this.failedWrites = new FailedUsageWrites(jobStorage);
            this.backlog = new UsageBacklog(dataSource, b.clock);
            this.purgeJob = new UsagePurgeJob(new UsagePurger(dataSource, b.writer.idempotencyWindow(), b.clock));
            this.reconcileJob = new UsageReconcileJob(dataSource, reconciler, rollupRepair, b.clock);
            this.repriceJob = new UsageRepriceJob(repricer);
            this.eraser = new Eraser(dataSource, clickHouse, rollupRepair, jobs, b.clock);
            this.eraseJob = new UsageEraseJob(eraser);
            this.budgets = remember(new Budgets(dataSource, clickHouse, jobs, b.budgets, b.clock));
            this.budgetAlertJob = new BudgetAlertJob(dataSource, b.budgets);
            this.activator = new Handlers();
            if (b.writer.backPricing()) {
                pricing.onPriceChange(change -> repricer.backPrice(change).ifPresent(run -> LOG.info(
                        "{}: queued reprice run {} ({} .. {})", change.cause(), run.runId(), run.from(), run.to())));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Starts describing a ledger; {@link Builder#build()} opens it. */
    public static Builder builder() {
        return new Builder();
    }

    private static ClickHouse openClickHouse(Builder b) {
        if (b.embeddedClickHouseDir != null) {
            return EmbeddedClickHouse.open(b.embeddedClickHouseDir, b.embeddedClickHouseDatabase);
        }
        return ServerClickHouse.open(b.clickHouseSettings);
    }

    /**
     * Starts writing: the usage writer and, with {@link Builder#ownJobServer}, tokenledger's JobRunr background
     * server and its watchdog; then schedules the recurring jobs unless {@link Builder#recurringJobs} said not to.
     * Does nothing when started already. With {@link Builder#hostJobRunr} the host's workers run the jobs; prefer
     * {@link #start(BackgroundJobServer)} when that server lives in this process, so new jobs are picked up at once
     * instead of at the host's next poll.
     *
     * @throws LedgerIdentity.MismatchException the PostgreSQL belongs to another ledger than the ClickHouse (a
     *                                          restored backup of another installation): writing would lose events
     */
    public synchronized TokenLedger start() {
        if (started) {
            return this;
        }
        requireSameLedger();
        UsageWriter w = writer();
        if (settings.hostJobStorage == null) {
            this.jobServer = new BackgroundJobServer(jobStorage, new JacksonJsonMapper(), activator,
                    BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration()
                            .andPollInterval(settings.pollInterval)
                            .andBackgroundJobServerWorkerPolicy(new DefaultBackgroundJobServerWorkerPolicy(
                                    settings.workers, BackgroundJobServerThreadType.PlatformThreads)));
            jobServer.start();
            closeables.push(jobServer::stop);
            this.onboard = new OnboardNewWorkTask(jobServer);
            this.watchdog = remember(new JobServerWatchdog(jobServer, dataSource, Duration.ofSeconds(5)));
        }
        w.attach(recorder); // wakes the sealer on every commit, hands committed events over in memory
        w.start();
        if (settings.watchBudgets) {
            budgets.start();
        }
        started = true;
        if (settings.recurringJobs) {
            scheduleRecurringJobs();
        }
        return this;
    }

    /**
     * {@link #start()} for a ledger on the host's JobRunr whose background server runs in this process: once the
     * writer has queued a {@code usage_write} job it asks that server to fetch work at once, as tokenledger's own
     * server does. The host keeps the server: tokenledger neither stops nor restarts it.
     */
    public synchronized TokenLedger start(BackgroundJobServer hostServer) {
        if (settings.hostJobStorage == null) {
            throw new IllegalStateException("this ledger runs its own JobRunr server; call start() instead");
        }
        this.onboard = new OnboardNewWorkTask(Objects.requireNonNull(hostServer, "hostServer"));
        return start();
    }

    /**
     * Schedules the recurring jobs ({@code pricing_refresh} on its cron, {@code usage_purge} hourly,
     * {@code usage_reconcile} every {@link WriterSettings#reconcileInterval()}); idempotent (JobRunr upserts them by
     * id). {@link #start()} calls it unless {@link Builder#recurringJobs(boolean)} turned it off.
     */
    public void scheduleRecurringJobs() {
        pricing.scheduleRecurringRefresh(jobs);
        purgeJob.scheduleHourly(jobs);
        reconcileJob.scheduleEvery(jobs, settings.writer.reconcileInterval());
    }

    private void requireSameLedger() {
        try {
            identity.requireMatch();
        } catch (LedgerIdentity.MismatchException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.warn("could not check that PostgreSQL and ClickHouse belong to the same ledger now ({}); the writer"
                    + " checks before its first write", e.toString());
        }
    }

    /**
     * The usage writer (sealer and {@code usage_write} handler); runs once {@link #start()} was called. Created on
     * first need: a host's workers may ask for the usage_write handler before {@code start()}.
     */
    public synchronized UsageWriter writer() {
        if (writer == null) {
            writer = remember(new UsageWriter(dataSource, clickHouse, pricer, jobs, jobStorage,
                    () -> {
                        OnboardNewWorkTask task = onboard;
                        if (task != null) {
                            task.runTaskThreadSafe();
                        }
                    }, settings.writer, settings.clock));
        }
        return writer;
    }

    private <T extends AutoCloseable> T remember(T closeable) {
        closeables.push(closeable);
        return closeable;
    }

    /**
     * Resolves tokenledger's job handlers, and answers {@code null} for every other type (JobRunr's contract for
     * "not mine"). A host running the jobs in its own JobRunr composes it with its own activator, see
     * {@link #jobActivator(JobActivator)}.
     */
    public JobActivator jobActivator() {
        return activator;
    }

    /** tokenledger's handlers first, then the host's {@code fallback} for every other job type. */
    public JobActivator jobActivator(JobActivator fallback) {
        Objects.requireNonNull(fallback, "fallback");
        return new JobActivator() {
            @Override
            public <T> T activateJob(Class<T> type) {
                T mine = activator.activateJob(type);
                return mine != null ? mine : fallback.activateJob(type);
            }
        };
    }

    /** The record API; durable on return, see {@link UsageRecorder}. */
    public UsageRecorder recorder() {
        return recorder;
    }


    /** Cost and tokens by user, workspace, model, agent, day... from ClickHouse, corrections included. */
    public Reports reports() {
        return reports;
    }

    /**
     * Budgets: their definitions, and {@link Budgets#check} answering from memory whether a call may go ahead.
     * Spend is refreshed in the background once {@link #start()} ran (see {@link Builder#budgets}).
     */
    public Budgets budgets() {
        return budgets;
    }

    /** The {@code budget_alert} job's body: delivers one fired alert to its webhook. */
    public BudgetAlertJob budgetAlertJob() {
        return budgetAlertJob;
    }

    /** Checks PostgreSQL's account of accepted usage against ClickHouse's tables. */
    public Reconciler reconciler() {
        return reconciler;
    }

    /** Rebuilds a rollup month from llm_usage and the adjustments. */
    public RollupRepair rollupRepair() {
        return rollupRepair;
    }

    /** The {@code usage_reconcile} job's body (check, then repair what disagrees). */
    public UsageReconcileJob reconcileJob() {
        return reconcileJob;
    }

    /** Events the writer could not write, kept until replayed or discarded. */
    public DeadLetters deadLetters() {
        return deadLetters;
    }

    /** Whether this PostgreSQL and this ClickHouse belong to the same ledger. */
    public LedgerIdentity identity() {
        return identity;
    }

    /** Reprice runs (corrections appended to written usage), their list and cost explanations. */
    public Repricer repricer() {
        return repricer;
    }

    /** Erasures of a user's usage from every store ({@code usage_erase} jobs), with their audit. */
    public Eraser eraser() {
        return eraser;
    }

    /** usage_write jobs JobRunr gave up on, to count and requeue. */
    public FailedUsageWrites failedWrites() {
        return failedWrites;
    }

    /** What is recorded but not yet in ClickHouse. */
    public UsageBacklog backlog() {
        return backlog;
    }

    /** The price book: prices, overrides, aliases, refreshes. */
    public Pricing pricing() {
        return pricing;
    }

    /** How the writer prices an event (the price book's answer as stored on the row). */
    public EventPricer pricer() {
        return pricer;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public ClickHouse clickHouse() {
        return clickHouse;
    }

    public InstantSource clock() {
        return settings.clock;
    }

    /** JobRunr's storage the jobs are queued in: tokenledger's own, or the host's. */
    public StorageProvider jobStorage() {
        return jobStorage;
    }

    public JobRequestScheduler jobs() {
        return jobs;
    }

    /** tokenledger's own JobRunr server; empty before {@link #start()} and on the host's JobRunr. */
    public synchronized Optional<BackgroundJobServer> jobServer() {
        return Optional.ofNullable(jobServer);
    }

    /** Restarts tokenledger's own JobRunr server after a database outage; empty when it has none. */
    public synchronized Optional<JobServerWatchdog> watchdog() {
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

    /** The handlers JobRunr activates by class: the only job types tokenledger queues. */
    private final class Handlers implements JobActivator {
        @Override
        public <T> T activateJob(Class<T> type) {
            Object handler;
            if (type == UsageWriteJob.class) {
                handler = writer().job();
            } else if (type == PricingRefreshJob.class) {
                handler = pricing.refreshJob();
            } else if (type == UsagePurgeJob.class) {
                handler = purgeJob;
            } else if (type == UsageReconcileJob.class) {
                handler = reconcileJob;
            } else if (type == UsageRepriceJob.class) {
                handler = repriceJob;
            } else if (type == UsageEraseJob.class) {
                handler = eraseJob;
            } else if (type == BudgetAlertJob.class) {
                handler = budgetAlertJob;
            } else {
                return null;
            }
            return type.cast(handler);
        }
    }

    /**
     * What the host has, and how tokenledger should run. Required: PostgreSQL ({@link #postgres(DataSource)} or
     * {@link #postgres(PostgresSettings)}) and ClickHouse ({@link #clickHouse(ClickHouse)},
     * {@link #clickHouse(ServerClickHouse.Settings)} or {@link #embeddedClickHouse}). Everything else has defaults.
     * Not thread-safe; build once.
     */
    public static final class Builder {
        private DataSource dataSource;
        private PostgresSettings postgresSettings;
        private ClickHouse clickHouse;
        private ServerClickHouse.Settings clickHouseSettings;
        private Path embeddedClickHouseDir;
        private String embeddedClickHouseDatabase;
        private ClickHouseTopology clickHouseTopology = ClickHouseTopology.SINGLE_NODE;
        private PricingSettings pricing = PricingSettings.defaults();
        private RecorderSettings recorder = RecorderSettings.DEFAULTS;
        private WriterSettings writer = WriterSettings.DEFAULTS;
        private BudgetSettings budgets = BudgetSettings.DEFAULTS;
        private boolean watchBudgets = true;
        private InstantSource clock = InstantSource.system();
        private StorageProvider hostJobStorage;
        private int workers = 2;
        private Duration pollInterval = Duration.ofSeconds(5);
        private boolean recurringJobs = true;
        private boolean migrate = true;
        private boolean bundledPrices = true;

        private Builder() {
        }

        /**
         * The host's PostgreSQL pool; tokenledger neither closes nor resizes it. Size it for the host's use plus
         * the recorder's commit threads, the writer and the job workers. tokenledger's tables (and Flyway's
         * {@code flyway_schema_history}) live in the schema the connections use: give tokenledger its own database
         * or schema (e.g. {@code ?currentSchema=tokenledger}) when the host runs Flyway there too.
         */
        public Builder postgres(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            this.postgresSettings = null;
            return this;
        }

        /** A PostgreSQL for tokenledger to open (a HikariCP pool on a JDBC URL, or embedded); closed with the ledger. */
        public Builder postgres(PostgresSettings settings) {
            this.postgresSettings = Objects.requireNonNull(settings, "settings");
            this.dataSource = null;
            return this;
        }

        /** The host's ClickHouse client; tokenledger does not close it. */
        public Builder clickHouse(ClickHouse clickHouse) {
            this.clickHouse = Objects.requireNonNull(clickHouse, "clickHouse");
            this.clickHouseSettings = null;
            this.embeddedClickHouseDir = null;
            return this;
        }

        /** A ClickHouse server for tokenledger to connect to (the official client over HTTP); closed with the ledger. */
        public Builder clickHouse(ServerClickHouse.Settings settings) {
            this.clickHouseSettings = Objects.requireNonNull(settings, "settings");
            this.clickHouse = null;
            this.embeddedClickHouseDir = null;
            return this;
        }

        /** chDB in this process, its data in {@code dir} (one process per directory); closed with the ledger. */
        public Builder embeddedClickHouse(Path dir, String database) {
            this.embeddedClickHouseDir = Objects.requireNonNull(dir, "dir");
            this.embeddedClickHouseDatabase = Objects.requireNonNull(database, "database");
            this.clickHouse = null;
            this.clickHouseSettings = null;
            return this;
        }

        /**
         * Where the ClickHouse tables are made (default {@link ClickHouseTopology#SINGLE_NODE}): with
         * {@link ClickHouseTopology#cluster} the migrations make them {@code ON CLUSTER}, replicated and sharded by month,
         * with Distributed tables under the usual names (see docs/deployment.md). A server only: chDB has no Keeper.
         */
        public Builder clickHouseTopology(ClickHouseTopology topology) {
            this.clickHouseTopology = Objects.requireNonNull(topology, "topology");
            return this;
        }

        /** Where prices come from and how often they are refreshed (default {@link PricingSettings#defaults()}). */
        public Builder pricing(PricingSettings settings) {
            this.pricing = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /** Group commit, buffer and bounds of the record API (default {@link RecorderSettings#DEFAULTS}). */
        public Builder recorder(RecorderSettings settings) {
            this.recorder = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /** Batching, retries, idempotency window, reconcile and back-pricing (default {@link WriterSettings#DEFAULTS}). */
        public Builder writer(WriterSettings settings) {
            this.writer = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /** Budget refresh interval and webhook signing secret (default {@link BudgetSettings#DEFAULTS}). */
        public Builder budgets(BudgetSettings settings) {
            this.budgets = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /**
         * Whether {@link TokenLedger#start()} starts refreshing budgets in the background (default true). Every
         * process that answers checks needs it; alerts fire exactly once however many processes refresh.
         */
        public Builder watchBudgets(boolean watch) {
            this.watchBudgets = watch;
            return this;
        }

        /** The clock events are stamped and priced by (default the system clock). */
        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Jobs run in tokenledger's own JobRunr background server on its PostgreSQL (the default: 2 workers, 5 s
         * poll). Workers are platform threads: a write spends most of its time in CPU-bound encoding and, embedded,
         * in native chDB calls that would pin virtual threads' carriers.
         */
        public Builder ownJobServer(int workers, Duration pollInterval) {
            if (workers < 1) {
                throw new IllegalArgumentException("workers must be at least 1, got " + workers);
            }
            if (pollInterval.compareTo(Duration.ofSeconds(5)) < 0) {
                throw new IllegalArgumentException("pollInterval must be at least 5s (JobRunr's SQL storage refuses"
                        + " less), got " + pollInterval);
            }
            this.workers = workers;
            this.pollInterval = pollInterval;
            this.hostJobStorage = null;
            return this;
        }

        /**
         * Jobs are queued in the host's JobRunr storage and run by the host's workers. The host's background server
         * must resolve handlers through {@link TokenLedger#jobActivator(JobActivator)}, and its storage provider must
         * use JobRunr's Jackson mapper (the job requests are records). tokenledger starts no JobRunr server and
         * creates no JobRunr tables; the host's storage provider owns them.
         */
        public Builder hostJobRunr(StorageProvider hostStorage) {
            this.hostJobStorage = Objects.requireNonNull(hostStorage, "hostStorage");
            return this;
        }

        /** Whether {@link TokenLedger#start()} schedules the recurring jobs (default true; off for a second worker). */
        public Builder recurringJobs(boolean schedule) {
            this.recurringJobs = schedule;
            return this;
        }

        /** Whether {@link #build()} migrates PostgreSQL and ClickHouse first (default true; safe on every start). */
        public Builder migrate(boolean migrate) {
            this.migrate = migrate;
            return this;
        }

        /** Whether an empty price book is filled from the LiteLLM snapshot bundled in the jar (default true). */
        public Builder bundledPrices(boolean load) {
            this.bundledPrices = load;
            return this;
        }

        /** Opens (and by default migrates) the databases and wires the ledger; nothing runs until {@code start()}. */
        public TokenLedger build() {
            if (dataSource == null && postgresSettings == null) {
                throw new IllegalStateException("no PostgreSQL: call postgres(DataSource) or postgres(PostgresSettings)"
                        + " on the builder");
            }
            if (clickHouse == null && clickHouseSettings == null && embeddedClickHouseDir == null) {
                throw new IllegalStateException("no ClickHouse: call clickHouse(ClickHouse), clickHouse(ServerClickHouse"
                        + ".Settings) or embeddedClickHouse(dir, database) on the builder");
            }
            if (clickHouseTopology.clustered() && (embeddedClickHouseDir != null
                    || clickHouse != null && clickHouse.backend() == ClickHouse.Backend.EMBEDDED)) {
                throw new IllegalStateException("a ClickHouse cluster needs a ClickHouse server: the embedded ClickHouse"
                        + " (chDB) has no Keeper and no cluster");
            }
            return new TokenLedger(this);
        }
    }
}
