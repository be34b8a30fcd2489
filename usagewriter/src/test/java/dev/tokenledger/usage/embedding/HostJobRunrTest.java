package dev.tokenledger.usage.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.pricing.PricingRefreshJob;
import dev.tokenledger.usage.RecordResult;
import dev.tokenledger.usage.TestEvents;
import dev.tokenledger.usage.TestPipeline;
import dev.tokenledger.usage.TokenLedger;
import dev.tokenledger.usage.UsageEvent;
import dev.tokenledger.usage.UsagePurgeJob;
import dev.tokenledger.usage.UsageReconcileJob;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jobrunr.dashboard.JobRunrDashboardWebServer;
import org.jobrunr.dashboard.JobRunrDashboardWebServerConfiguration;
import org.jobrunr.jobs.lambdas.JobRequest;
import org.jobrunr.jobs.lambdas.JobRequestHandler;
import org.jobrunr.jobs.mappers.JobMapper;
import org.jobrunr.jobs.states.StateName;
import org.jobrunr.scheduling.JobRequestScheduler;
import org.jobrunr.server.BackgroundJobServer;
import org.jobrunr.server.BackgroundJobServerConfiguration;
import org.jobrunr.server.JobActivator;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.storage.sql.postgres.PostgresStorageProvider;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;
import org.junit.jupiter.api.Test;

/**
 * An example host: an orchestrator that already runs JobRunr on its own PostgreSQL, with a job type of its own,
 * embeds tokenledger through the builder, in both job modes. Outside {@code dev.tokenledger.usage}, as a host is.
 */
class HostJobRunrTest {
    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final int EVENTS = 600;

    /** The host's own job: tokenledger's handlers must not hide it, nor it theirs. */
    public record Greeting(String who) implements JobRequest {
        @Override
        public Class<GreetingHandler> getJobRequestHandler() {
            return GreetingHandler.class;
        }
    }

    public static final class GreetingHandler implements JobRequestHandler<Greeting> {
        final AtomicInteger greeted = new AtomicInteger();

        @Override
        public void run(Greeting greeting) {
            greeted.incrementAndGet();
        }
    }

    @Test
    void onTheHostsJobRunrTheJobsRunInTheHostsWorkersAndEveryEventIsWrittenExactlyOnce() throws Exception {
        try (PostgresDatabase ledgerDb = TestPostgres.freshDatabase("host_ledger");
             PostgresDatabase hostDb = TestPostgres.freshDatabase("host_app");
             ClickHouse clickHouse = TestClickHouse.server("host_jobrunr")) {
            // The host's JobRunr, on the host's own database, as the host configures it.
            JacksonJsonMapper json = new JacksonJsonMapper();
            StorageProvider hostStorage = new PostgresStorageProvider(hostDb.dataSource());
            hostStorage.setJobMapper(new JobMapper(json));
            GreetingHandler greetings = new GreetingHandler();
            JobActivator hostActivator = new JobActivator() {
                @Override
                public <T> T activateJob(Class<T> type) {
                    return type == GreetingHandler.class ? type.cast(greetings) : null;
                }
            };

            try (TokenLedger ledger = TokenLedger.builder().postgres(ledgerDb.dataSource()).clickHouse(clickHouse)
                    .hostJobRunr(hostStorage).build()) {
                BackgroundJobServer hostServer = new BackgroundJobServer(hostStorage, json,
                        ledger.jobActivator(hostActivator), BackgroundJobServerConfiguration
                        .usingStandardBackgroundJobServerConfiguration().andPollInterval(Duration.ofSeconds(5))
                        .andWorkerCount(2));
                int port = freePort();
                JobRunrDashboardWebServer dashboard = new JobRunrDashboardWebServer(hostStorage, json,
                        JobRunrDashboardWebServerConfiguration.usingStandardDashboardConfiguration().andPort(port)
                                .andAllowAnonymousDataUsage(false));
                try {
                    hostServer.start();
                    dashboard.start();
                    ledger.start(hostServer);
                    new JobRequestScheduler(hostStorage).enqueue(new Greeting("tokenledger"));

                    List<UsageEvent> events = recordInAllThreeModes(ledger, ledgerDb);
                    TestPipeline.await(() -> count(clickHouse) >= EVENTS, DEADLINE,
                            () -> count(clickHouse) + " of " + EVENTS + " events in llm_usage");
                    Row written = clickHouse.query("SELECT count() AS n, uniqExact(event_id) AS ids FROM llm_usage")
                            .getFirst();
                    assertThat(written.int64("n")).isEqualTo(EVENTS);
                    assertThat(written.int64("ids")).isEqualTo(EVENTS);

                    // Sent again: duplicates, nothing new written.
                    assertThat(ledger.recorder().record(events.subList(0, 50)))
                            .allMatch(r -> r.status() == RecordResult.Status.DUPLICATE);

                    // The host's workers ran tokenledger's jobs and its own; the host's dashboard lists them.
                    TestPipeline.await(() -> greetings.greeted.get() == 1, DEADLINE, () -> "the host's job did not run");
                    TestPipeline.await(() -> ledger.backlog().snapshot().unwrittenBatches() == 0, DEADLINE,
                            () -> "batches left unwritten: " + ledger.backlog().snapshot());
                    assertThat(hostStorage.countJobs(StateName.SUCCEEDED)).isGreaterThanOrEqualTo(2);
                    assertThat(hostStorage.countJobs(StateName.FAILED)).isZero();
                    assertThat(hostStorage.getRecurringJobs().stream().map(r -> r.getId()).toList())
                            .contains(PricingRefreshJob.RECURRING_JOB_ID, UsagePurgeJob.RECURRING_JOB_ID,
                                    UsageReconcileJob.RECURRING_JOB_ID);
                    String listed = get("http://localhost:" + port
                            + "/api/jobs?state=SUCCEEDED&offset=0&limit=100&order=updatedAt:DESC");
                    assertThat(listed).contains("usage_write").contains("Greeting");
                    assertThat(ledger.jobServer()).as("tokenledger starts no JobRunr server of its own").isEmpty();
                    assertThat(count(clickHouse)).isEqualTo(EVENTS);
                } finally {
                    dashboard.stop();
                    hostServer.stop();
                }
            }
        }
    }

    @Test
    void withItsOwnJobServerTheLedgerWritesEveryEventExactlyOnceAndStopsItsServerOnClose() throws Exception {
        try (PostgresDatabase db = TestPostgres.freshDatabase("own_server");
             ClickHouse clickHouse = TestClickHouse.server("own_server")) {
            BackgroundJobServer server;
            try (TokenLedger ledger = TokenLedger.builder().postgres(db.dataSource()).clickHouse(clickHouse)
                    .ownJobServer(2, Duration.ofSeconds(5)).build().start()) {
                server = ledger.jobServer().orElseThrow();
                assertThat(server.isRunning()).isTrue();
                recordInAllThreeModes(ledger, db);
                TestPipeline.await(() -> count(clickHouse) >= EVENTS, DEADLINE,
                        () -> count(clickHouse) + " of " + EVENTS + " events in llm_usage");
                TestPipeline.await(() -> ledger.backlog().snapshot().unwrittenBatches() == 0, DEADLINE,
                        () -> "batches left unwritten: " + ledger.backlog().snapshot());
                assertThat(ledger.jobStorage().countJobs(StateName.FAILED)).isZero();
                assertThat(ledger.jobStorage().getRecurringJobs().stream().map(r -> r.getId()).toList())
                        .contains(UsageReconcileJob.RECURRING_JOB_ID);
            }
            assertThat(server.isRunning()).as("closing the ledger stops the server it started").isFalse();
            Row written = clickHouse.query("SELECT count() AS n, uniqExact(event_id) AS ids FROM llm_usage").getFirst();
            assertThat(written.int64("n")).isEqualTo(EVENTS);
            assertThat(written.int64("ids")).isEqualTo(EVENTS);
        }
    }

    /** A third each through record(), recordAsync() and record(connection) in a committed transaction. */
    private static List<UsageEvent> recordInAllThreeModes(TokenLedger ledger, PostgresDatabase db) throws Exception {
        List<UsageEvent> events = new ArrayList<>(TestEvents.events(EVENTS));
        int third = EVENTS / 3;
        assertThat(ledger.recorder().record(events.subList(0, third)))
                .allMatch(r -> r.status() == RecordResult.Status.ACCEPTED);
        assertThat(ledger.recorder().recordAsync(events.subList(third, 2 * third)).join())
                .allMatch(r -> r.status() == RecordResult.Status.ACCEPTED);
        try (Connection tx = db.dataSource().getConnection()) {
            tx.setAutoCommit(false);
            assertThat(ledger.recorder().record(tx, events.subList(2 * third, EVENTS)))
                    .allMatch(r -> r.status() == RecordResult.Status.ACCEPTED);
            tx.commit();
        }
        return events;
    }

    private static long count(ClickHouse clickHouse) {
        return clickHouse.query("SELECT count() AS n FROM llm_usage").getFirst().int64("n");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String get(String url) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(url).isEqualTo(200);
            return response.body();
        }
    }
}
