package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.usage.UsageEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.jobrunr.scheduling.JobRequestScheduler;
import org.jobrunr.server.BackgroundJobServer;
import org.jobrunr.server.BackgroundJobServerConfiguration;
import org.jobrunr.server.configuration.BackgroundJobServerThreadType;
import org.jobrunr.server.configuration.DefaultBackgroundJobServerWorkerPolicy;
import org.jobrunr.server.JobActivator;
import org.jobrunr.server.tasks.steward.OnboardNewWorkTask;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;

/**
 * The baseline: the naive design, one JobRunr job per event ({@link NaiveUsageRequest} / {@link NaiveUsageJob}),
 * on a ledger of its own (its own PostgreSQL and ClickHouse databases, opened as a client: no usage writer).
 * Recording an event is enqueuing its job: durable once JobRunr has committed the job row. It gets every
 * advantage the real pipeline has: {@value #WORKERS} workers (JobRunr's best rate on this machine kind),
 * bulk enqueues, a ClickHouse connection per worker, and, when asked, a direct wake-up of its workers.
 */
final class NaiveDesign implements AutoCloseable {
    static final int WORKERS = 16;

    private final Ledger ledger;
    private final List<ClickHouse> opened = new ArrayList<>();
    private final JobRequestScheduler jobs;
    private final BackgroundJobServer server;
    private final ClickHouse counter;
    private OnboardNewWorkTask onboard;

    NaiveDesign(BenchEnvironment env, String name) {
        this.ledger = env.openLedger(name, Ledger.Mode.CLIENT);
        try {
            String database = ledger.clickHouse().database();
            int connections = env.embeddedClickHouse() ? 4 : 1; // chDB serializes calls per connection
            BlockingQueue<ClickHouse> pool = new ArrayBlockingQueue<>(connections);
            if (env.embeddedClickHouse()) {
                for (int i = 0; i < connections; i++) {
                    ClickHouse ch = env.openClickHouse(database, false);
                    opened.add(ch);
                    pool.add(ch);
                }
            } else {
                pool.add(ledger.clickHouse());
            }
            this.counter = ledger.clickHouse();
            NaiveUsageJob job = new NaiveUsageJob(pool, ledger.pricer());
            this.jobs = ledger.jobs();
            this.server = new BackgroundJobServer(ledger.jobStorage(), new JacksonJsonMapper(), new JobActivator() {
                @Override
                public <T> T activateJob(Class<T> type) {
                    return type.isInstance(job) ? type.cast(job) : null;
                }
            }, BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration()
                    .andPollInterval(Duration.ofSeconds(5))
                    .andBackgroundJobServerWorkerPolicy(new DefaultBackgroundJobServerWorkerPolicy(WORKERS,
                            BackgroundJobServerThreadType.PlatformThreads)));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    void start() {
        server.start();
        onboard = new OnboardNewWorkTask(server);
    }

    /** Records events the naive way: one job each, enqueued in one bulk call. */
    void enqueue(List<UsageEvent> events) {
        jobs.enqueue(events.stream().map(NaiveUsageRequest::new));
    }

    /** Records one event the naive way: one job, one transaction. */
    void enqueue(UsageEvent event) {
        jobs.enqueue(new NaiveUsageRequest(event));
    }

    /** Wakes idle workers now instead of at JobRunr's next poll (the real pipeline does the same). */
    void wake() {
        if (onboard != null) {
            onboard.runTaskThreadSafe();
        }
    }

    long rowsInClickHouse() {
        return counter.query("SELECT count() AS n FROM llm_usage").getFirst().int64("n");
    }

    Ledger ledger() {
        return ledger;
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop();
        }
        opened.forEach(ClickHouse::close);
        ledger.close();
    }
}
