package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The writer runs in its own JVM and is killed with SIGKILL mid-stream, several times. */
class WorkerKillTest {

    @Test
    void aWorkerKilledWithSigkillMidBatchAndRestartedLosesNothingAndCountsNothingTwice() throws Exception {
        ServerClickHouse.Settings chSettings = TestClickHouse.serverSettings("worker_kill");
        try (PostgresDatabase postgres = TestPostgres.freshDatabase("worker_kill");
             ServerClickHouse clickHouse = ServerClickHouse.open(chSettings);
             UsageRecorder recorder = new UsageRecorder(postgres.dataSource(), RecorderSettings.DEFAULTS,
                     InstantSource.system())) {
            Set<UUID> accepted = ConcurrentHashMap.newKeySet();
            AtomicBoolean recording = new AtomicBoolean(true);
            Thread load = Thread.ofPlatform().start(() -> {
                while (recording.get()) {
                    recorder.record(TestEvents.events(40)).forEach(r -> accepted.add(r.eventId()));
                    try {
                        Thread.sleep(5); // a steady, modest load: ~8,000 events/s at most
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });

            Random random = new Random(42);
            Process worker = startWorker(postgres, chSettings, 0);
            for (int kill = 1; kill <= 3; kill++) {
                Thread.sleep(500 + random.nextInt(1500));
                worker.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: no shutdown hooks, no cleanup
                worker = startWorker(postgres, chSettings, kill);
            }
            recording.set(false);
            load.join();
            try {
                TestPipeline.await(() -> count(clickHouse, "count()") >= accepted.size(), Duration.ofSeconds(120),
                        () -> "llm_usage holds " + count(clickHouse, "count()") + " of " + accepted.size());
                long raw = count(clickHouse, "count()");
                long distinct = count(clickHouse, "uniqExact(event_id)");
                long rollup = clickHouse.query("SELECT sum(events) AS n FROM llm_usage_daily").getFirst().int64("n");
                assertThat(raw).as("lost or duplicated").isEqualTo(accepted.size());
                assertThat(distinct).isEqualTo(accepted.size());
                assertThat(rollup).isEqualTo(accepted.size());
                Reconciler reconciler = new Reconciler(postgres.dataSource(), clickHouse);
                LocalDate today = LocalDate.now(ZoneOffset.UTC);
                // The last batch may be in ClickHouse a moment before Postgres marks it written.
                TestPipeline.await(() -> reconciler.reconcile(today.minusDays(1), today).pending() == 0,
                        Duration.ofSeconds(60), () -> "batches still unmarked");
                ReconcileReport report = reconciler.reconcile(today.minusDays(1), today);
                assertThat(report.clean()).as("%s", report).isTrue();
                assertThat(report.pending()).isZero();
            } finally {
                worker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static long count(ServerClickHouse clickHouse, String expression) {
        return clickHouse.query("SELECT " + expression + " AS n FROM llm_usage").getFirst().int64("n");
    }

    private static Process startWorker(PostgresDatabase postgres, ServerClickHouse.Settings ch, int generation)
            throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path log = Path.of("target", "worker-kill-" + generation + ".log");
        Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dorg.jooq.no-logo=true", WorkerProcess.class.getName(), postgres.jdbcUrl(), ch.endpoint(),
                ch.database()))
                .redirectErrorStream(true)
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null) {
            seen.append(line).append('\n');
            if (line.equals("READY")) {
                break;
            }
        }
        if (line == null) {
            throw new IllegalStateException("worker exited before it was ready:\n" + seen);
        }
        Thread.ofPlatform().daemon(true).start(() -> {
            try (var w = Files.newBufferedWriter(log)) {
                w.write(seen.toString());
                String l;
                while ((l = out.readLine()) != null) {
                    w.write(l);
                    w.newLine();
                }
            } catch (IOException ignored) {
                // the worker was killed
            }
        });
        return p;
    }
}
