package dev.tokenledger.orchestrator;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.EmbeddedClickHouse;
import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.pricing.Pricing;
import dev.tokenledger.usage.Budgets;
import dev.tokenledger.usage.DeadLetters;
import dev.tokenledger.usage.EventPricer;
import dev.tokenledger.usage.FailedUsageWrites;
import dev.tokenledger.usage.JobServerWatchdog;
import dev.tokenledger.usage.LedgerIdentity;
import dev.tokenledger.usage.Reconciler;
import dev.tokenledger.usage.Reports;
import dev.tokenledger.usage.Repricer;
import dev.tokenledger.usage.RollupRepair;
import dev.tokenledger.usage.TokenLedger;
import dev.tokenledger.usage.UsageBacklog;
import dev.tokenledger.usage.UsageReconcileJob;
import dev.tokenledger.usage.UsageRecorder;
import dev.tokenledger.usage.UsageWriter;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import org.jobrunr.dashboard.JobRunrDashboardWebServer;
import org.jobrunr.dashboard.JobRunrDashboardWebServerConfiguration;
import org.jobrunr.scheduling.JobRequestScheduler;
import org.jobrunr.server.BackgroundJobServer;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's wiring, top to bottom: the databases its configuration names, the library ({@link TokenLedger},
 * which wires the record API, pricing, the writer, reconcile and reports) and, for the running service, JobRunr's
 * dashboard. Commands open it with what they need and close it when done; everything opened is closed in reverse
 * order.
 */
public final class Ledger implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Ledger.class);

    /** How much of the service a command needs. */
    public enum Mode {
        /** Databases, schema, pricing, record API: enough for CLI commands. */
        CLIENT,
        /**
         * CLIENT plus the budgets' background refresh (checks answer from memory): {@code serve --role api}. No JobRunr
         * server, no writer or sealer, no recurring jobs, no dashboard: recorded events wait in PostgreSQL for a worker
         * process, which their commit's NOTIFY wakes.
         */
        API,
        /**
         * CLIENT plus the background half: JobRunr server, usage writer, watchdog. No dashboard and no
         * recurring jobs (a worker beside a full service, and the benchmarks).
         */
        WORKER,
        /**
         * WORKER plus the recurring jobs: {@code ./tokenledger worker}, any number of them beside API processes. JobRunr
         * runs each recurring job once per schedule however many servers share its tables (only its elected master
         * schedules them), and one writer at a time seals (SealerLease).
         */
        WORKER_PROCESS,
        /** Everything: JobRunr server, usage writer, watchdog, recurring jobs, dashboard. */
        SERVICE
    }

    private final Deque<AutoCloseable> closeables = new ArrayDeque<>();
    private final LedgerConfig config;
    private final PostgresDatabase postgres;
    private final ClickHouse clickHouse;
    private final TokenLedger ledger;
    private volatile boolean writing;

    /** Opens the databases the configuration names, or uses the given ones (tests), which the caller closes. */
    private Ledger(LedgerConfig config, InstantSource clock, PostgresDatabase givenPostgres, ClickHouse givenClickHouse,
                   Mode mode) {
        this.config = config;
        try {
            this.postgres = givenPostgres != null ? givenPostgres : remember(PostgresDatabase.open(config.postgres()));
            this.clickHouse = givenClickHouse != null ? givenClickHouse : remember(openClickHouse(config));
            this.ledger = remember(TokenLedger.builder()
                    .postgres(postgres.dataSource())
                    .clickHouse(clickHouse)
                    .clickHouseTopology(config.clickHouseTopology())
                    .pricing(config.pricing())
                    .recorder(config.recorder())
                    .writer(config.writer())
                    .budgets(config.budgets())
                    .clock(clock)
                    .ownJobServer(config.workers(), config.jobRunrPoll())
                    .recurringJobs(mode == Mode.SERVICE || mode == Mode.WORKER_PROCESS)
                    .build());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public static Ledger open(LedgerConfig config, Mode mode) {
        return open(config, mode, InstantSource.system());
    }

    public static Ledger open(LedgerConfig config, Mode mode, InstantSource clock) {
        return start(new Ledger(config, clock, null, null, mode), mode);
    }

    /** For tests: the whole ledger on databases the test opened (and closes after the ledger). */
    static Ledger onDatabases(LedgerConfig config, Mode mode, InstantSource clock, PostgresDatabase postgres,
                              ClickHouse clickHouse) {
        return start(new Ledger(config, clock, postgres, clickHouse, mode), mode);
    }

    private static Ledger start(Ledger ledger, Mode mode) {
        try {
            switch (mode) {
                case CLIENT -> { }
                case API -> ledger.budgets().start();
                case WORKER, WORKER_PROCESS -> ledger.startWorker();
                case SERVICE -> {
                    ledger.startWorker();
                    ledger.startDashboard();
                }
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

    /**
     * Starts the background half (JobRunr server, usage writer, watchdog) on a ledger opened as
     * {@link Mode#CLIENT}; does nothing if it runs already. Events recorded before are picked up at once.
     * Refuses a PostgreSQL that belongs to another ledger than its ClickHouse.
     */
    public synchronized void startWorker() {
        try {
            ledger.start();
            writing = true;
        } catch (LedgerIdentity.MismatchException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    private void startDashboard() {
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
        JobRunrDashboardWebServer dashboard = new JobRunrDashboardWebServer(ledger.jobStorage(),
                new JacksonJsonMapper(), dashboardConfig);
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
        return ledger.clock();
    }

    public PostgresDatabase postgres() {
        return postgres;
    }

    public ClickHouse clickHouse() {
        return clickHouse;
    }

    public Pricing pricing() {
        return ledger.pricing();
    }

    /** How the writer prices an event. */
    public EventPricer pricer() {
        return ledger.pricer();
    }

    public UsageRecorder recorder() {
        return ledger.recorder();
    }

    /** Budgets and their check; spend is refreshed in the background once the worker half runs. */
    public Budgets budgets() {
        return ledger.budgets();
    }

    public Reports reports() {
        return ledger.reports();
    }

    public Reconciler reconciler() {
        return ledger.reconciler();
    }

    public RollupRepair rollupRepair() {
        return ledger.rollupRepair();
    }

    public DeadLetters deadLetters() {
        return ledger.deadLetters();
    }

    public LedgerIdentity identity() {
        return ledger.identity();
    }

    /** Reprice runs (corrections appended to written usage), their list and cost explanations. */
    public Repricer repricer() {
        return ledger.repricer();
    }

    public dev.tokenledger.usage.Eraser eraser() {
        return ledger.eraser();
    }

    /** What is recorded but not yet in ClickHouse. */
    public UsageBacklog backlog() {
        return ledger.backlog();
    }

    /** The usage_reconcile job's body; empty unless the background half runs. */
    public Optional<UsageReconcileJob> reconcileJob() {
        return writing ? Optional.of(ledger.reconcileJob()) : Optional.empty();
    }

    public FailedUsageWrites failedWrites() {
        return ledger.failedWrites();
    }

    public StorageProvider jobStorage() {
        return ledger.jobStorage();
    }

    public JobRequestScheduler jobs() {
        return ledger.jobs();
    }

    /** The usage writer; empty unless the background half runs. */
    public Optional<UsageWriter> writer() {
        return writing ? Optional.of(ledger.writer()) : Optional.empty();
    }

    public Optional<BackgroundJobServer> jobServer() {
        return ledger.jobServer();
    }

    public Optional<JobServerWatchdog> watchdog() {
        return ledger.watchdog();
    }

    /** Closes in reverse order of opening: the dashboard, the library (which stops writing first), the databases. */
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
}
