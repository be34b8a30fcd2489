package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.postgres.PostgresDatabase;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.jobrunr.jobs.mappers.JobMapper;
import org.jobrunr.scheduling.JobRequestScheduler;
import org.jobrunr.server.BackgroundJobServer;
import org.jobrunr.server.BackgroundJobServerConfiguration;
import org.jobrunr.server.tasks.steward.OnboardNewWorkTask;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.storage.StorageProviderUtils.DatabaseOptions;
import org.jobrunr.storage.sql.postgres.PostgresStorageProvider;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;

/**
 * The whole pipeline on real databases, wired the way the service wires it: recorder, writer, and a
 * JobRunr background server running usage_write jobs (without JobRunr's static facade).
 */
public final class TestPipeline implements AutoCloseable {
    public final PostgresDatabase postgres;
    public final ClickHouse clickHouse;
    public final UsageRecorder recorder;
    public final UsageWriter writer;
    public final StorageProvider storage;
    public final BackgroundJobServer jobServer;
    public final Reconciler reconciler;
    /** The usage_reconcile job's body (rollup repair included), as the service runs it. */
    public final UsageReconcileJob reconcileJob;

    private TestPipeline(PostgresDatabase postgres, ClickHouse clickHouse, EventPricer pricer, WriterSettings settings,
                         int workers, boolean background) {
        this.postgres = postgres;
        this.clickHouse = clickHouse;
        JacksonJsonMapper json = new JacksonJsonMapper();
        this.storage = new PostgresStorageProvider(postgres.dataSource(), DatabaseOptions.SKIP_CREATE);
        storage.setJobMapper(new JobMapper(json));
        JobRequestScheduler scheduler = new JobRequestScheduler(storage);
        Holder<OnboardNewWorkTask> onboard = new Holder<>();
        this.writer = new UsageWriter(postgres.dataSource(), clickHouse, pricer, scheduler, storage, () -> {
            if (onboard.value != null) {
                onboard.value.runTaskThreadSafe();
            }
        }, settings, InstantSource.system());
        UsageWriteJob job = writer.job();
        this.reconciler = new Reconciler(postgres.dataSource(), clickHouse);
        this.reconcileJob = new UsageReconcileJob(postgres.dataSource(), reconciler,
                new RollupRepair(postgres.dataSource(), clickHouse, InstantSource.system()), InstantSource.system());
        this.scheduler = scheduler;
        this.jobServer = new BackgroundJobServer(storage, json, new org.jobrunr.server.JobActivator() {
            @Override
            public <T> T activateJob(Class<T> type) {
                if (type.isInstance(job)) {
                    return type.cast(job);
                }
                return type.isInstance(reconcileJob) ? type.cast(reconcileJob) : null;
            }
        }, BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration()
                .andPollInterval(Duration.ofSeconds(5))
                .andWorkerCount(workers));
        this.recorder = new UsageRecorder(postgres.dataSource(), RecorderSettings.DEFAULTS, InstantSource.system());
        if (background) {
            jobServer.start();
            onboard.value = new OnboardNewWorkTask(jobServer);
            writer.attach(recorder);
            writer.start();
        }
    }

    private final JobRequestScheduler scheduler;

    /** Runs the recurring usage_reconcile job every {@code interval}, as the service does (background pipelines). */
    public void scheduleReconcile(Duration interval) {
        reconcileJob.scheduleEvery(scheduler, interval);
    }

    public static TestPipeline start(PostgresDatabase postgres, ClickHouse clickHouse) {
        return start(postgres, clickHouse, new FixedRatePricer(), WriterSettings.DEFAULTS, 4);
    }

    public static TestPipeline start(PostgresDatabase postgres, ClickHouse clickHouse, EventPricer pricer,
                                     WriterSettings settings, int workers) {
        return new TestPipeline(postgres, clickHouse, pricer, settings, workers, true);
    }

    /**
     * Recorder and writer without background threads: the test seals and runs usage_write job bodies
     * itself, so crashes and retries happen exactly where the test puts them.
     */
    public static TestPipeline manual(PostgresDatabase postgres, ClickHouse clickHouse, WriterSettings settings) {
        return manual(postgres, clickHouse, settings, new FixedRatePricer());
    }

    /** {@link #manual(PostgresDatabase, ClickHouse, WriterSettings)} pricing with {@code pricer}. */
    public static TestPipeline manual(PostgresDatabase postgres, ClickHouse clickHouse, WriterSettings settings,
                                      EventPricer pricer) {
        return new TestPipeline(postgres, clickHouse, pricer, settings, 1, false);
    }

    /** Rows in llm_usage. */
    public long rawCount() {
        return single("SELECT count() AS n FROM llm_usage");
    }

    public long rollupEvents() {
        return single("SELECT sum(events) AS n FROM llm_usage_daily");
    }

    public BigDecimal rawCost() {
        return clickHouse.query("SELECT sum(ifNull(cost_usd, toDecimal128(0, 12))) AS c FROM llm_usage").getFirst()
                .decimal("c");
    }

    public BigDecimal rollupCost() {
        return clickHouse.query("SELECT sum(cost_usd) AS c FROM llm_usage_daily").getFirst().decimal("c");
    }

    public long rawTokens() {
        return single("SELECT sum(total_tokens) AS n FROM llm_usage");
    }

    public long rollupTokens() {
        return single("SELECT sum(total_tokens) AS n FROM llm_usage_daily");
    }

    private long single(String sql) {
        Row r = clickHouse.query(sql, Map.of()).getFirst();
        String v = r.values().values().iterator().next();
        return v == null ? 0 : Long.parseLong(v);
    }

    /** Waits (polling, with a deadline) until ClickHouse holds {@code expected} raw rows. */
    public void awaitRawCount(long expected, Duration timeout) {
        await(() -> rawCount() >= expected, timeout, () -> "llm_usage holds " + rawCount() + " rows, expected "
                + expected);
    }

    public static void await(BooleanSupplier condition, Duration timeout, java.util.function.Supplier<String> what) {
        try {
            // On the calling thread, and blind to other threads' uncaught exceptions (unlike Awaitility's
            // defaults): JobRunr threads of a pipeline whose database another test just closed throw, and that
            // is not this condition failing.
            org.awaitility.Awaitility.await().atMost(timeout).dontCatchUncaughtExceptions().pollInSameThread()
                    .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20)).until(condition::getAsBoolean);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("timed out after " + timeout + ": " + what.get(), e);
        }
    }

    @Override
    public void close() {
        recorder.close();
        writer.close();
        jobServer.stop();
    }

    private static final class Holder<T> {
        volatile T value;
    }
}
