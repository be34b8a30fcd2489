package dev.tokenledger.usage.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Scenario "two-writers": the scaled-out deployment of docs/deployment.md as real processes on one PostgreSQL and
 * one ClickHouse server process (chDB behind ClickHouse's HTTP interface): two {@code ./tokenledger worker} and two
 * {@code ./tokenledger serve --role api}, HTTP clients posting to both API processes. Writers and API processes are
 * killed with SIGKILL at random moments: in the quick run one writer and one API process, the survivors carrying on
 * alone; in the full run 20 times any of the four, started again each time. Nothing may
 * be lost or counted twice, reconcile must be clean, both writers must have written batches (the split is reported
 * from usage_batch.written_by), and the recurring usage_reconcile job (every 5 s here) must never run twice for one
 * schedule.
 *
 * <p>It lives in the orchestrator module, in the chaos scenarios' package, because it starts the orchestrator's real
 * commands and reuses the suite's process tools ({@link ChildJvm}, {@link ClickHouseProcess}, {@link LedgerAudit}).
 */
@Execution(ExecutionMode.CONCURRENT)
@Tag(Chaos.TAG)
@Tag("chaos-two-writers")
class TwoWritersChaosTest {
    private static final String KEY = "two-writers-chaos-key-0123456789";

    @Test
    void twoWritersAndTwoApiProcessesKilledAtRandomUnderLoadLoseNothingCountNothingTwiceAndBothWrite()
            throws IOException, SQLException {
        int kills = Chaos.pick(2, 20);
        Duration maxGap = Chaos.pick(Duration.ofMillis(3_000), Duration.ofMillis(4_000));
        Random random = Chaos.random("two-writers");
        Path dir = Files.createDirectories(Path.of("target", "chaos", "two-writers-" + System.currentTimeMillis()));
        try (PostgresDatabase postgres = TestPostgres.freshDatabase("chaos_two_writers");
             ClickHouseProcess clickHouseServer = ClickHouseProcess.start("two-writers", dir.resolve("clickhouse"))) {
            ServerClickHouse.Settings ch = clickHouseServer.migratedDatabase("chaos_two_writers");
            Map<String, String> env = new HashMap<>();
            env.put("TOKENLEDGER_HOME", dir.resolve("home").toString());
            env.put("TOKENLEDGER_PG_URL", postgres.jdbcUrl());
            env.put("TOKENLEDGER_CLICKHOUSE_URL", clickHouseServer.url());
            env.put("TOKENLEDGER_CLICKHOUSE_DATABASE", ch.database());
            env.put("TOKENLEDGER_CLICKHOUSE_COMPRESSION", "false");
            env.put("TOKENLEDGER_API_KEYS", KEY);
            env.put("TOKENLEDGER_WORKER_PORT", "0");
            env.put("TOKENLEDGER_RECONCILE_INTERVAL", "5s");
            env.put("TOKENLEDGER_BACK_PRICING", "false");
            List<Node> apis = List.of(Node.api("api-a", env), Node.api("api-b", env));
            List<Node> writers = List.of(Node.worker("worker-a", env), Node.worker("worker-b", env));
            List<Node> all = new ArrayList<>(apis);
            all.addAll(writers);
            Map<Long, String> slotOfPid = new ConcurrentHashMap<>();
            // One first (it loads the price book into the empty database), then the others side by side.
            writers.getFirst().start(slotOfPid);
            CompletableFuture.allOf(all.stream().filter(n -> n != writers.getFirst())
                    .map(n -> CompletableFuture.runAsync(() -> n.start(slotOfPid)))
                    .toArray(CompletableFuture[]::new)).join();
            HttpLoad load = HttpLoad.start(apis.stream().map(Node::url).toList(), KEY, 2, 25, Duration.ofMillis(40));
            Map<String, Integer> killed = new LinkedHashMap<>();
            long lastKill;
            try {
                // While the sealing writer keeps up it runs every batch itself (it wakes its own job workers at
                // once; the other fetches at its polls only what is still waiting), so the first kill is that
                // writer: the other must take the sealer lease over, and with it the work. Then the quick run kills
                // one API process and lets the survivors carry on (a JVM start takes most of a minute on a loaded
                // 2-core machine); the full run kills any of the four and restarts it each time.
                awaitSomeWritten(postgres, slotOfPid, Duration.ofMinutes(3));
                for (int kill = 1; ; kill++) {
                    Chaos.sleep(Chaos.between(random, Duration.ofMillis(500), maxGap));
                    Node victim = kill == 1 ? busiest(writers, split(postgres, slotOfPid))
                            : Chaos.full() ? all.get(random.nextInt(all.size())) : apis.get(random.nextInt(2));
                    victim.kill(); // SIGKILL: mid-request, mid-seal, mid-insert, mid-mark
                    lastKill = System.nanoTime();
                    killed.merge(victim.slot, 1, Integer::sum);
                    if (Chaos.full()) {
                        victim.start(slotOfPid);
                    }
                    if (kill == kills) {
                        break;
                    }
                }
                Chaos.sleep(Duration.ofSeconds(1));
                load.stop();
                int retried = load.retryFailed(Duration.ofMinutes(2));

                try (ServerClickHouse clickHouse = ServerClickHouse.open(ch)) {
                    LedgerAudit audit = new LedgerAudit(postgres.dataSource(), clickHouse);
                    audit.awaitDrained(Chaos.pick(Duration.ofMinutes(3), Duration.ofMinutes(10)));
                    Duration recovered = Duration.ofNanos(System.nanoTime() - lastKill);
                    LedgerAudit.Result result = audit.audit(load.acknowledged);
                    Map<String, long[]> split = split(postgres, slotOfPid);
                    long[] reconcileRuns = recurringRuns(postgres, "usage_reconcile");
                    String splitText = describe(split);
                    System.out.println("[chaos] two-writers: " + result.summary() + "; batches/events written by "
                            + splitText + "; kills " + killed + "; failed calls re-sent " + retried
                            + "; usage_reconcile runs " + reconcileRuns[0] + " for " + reconcileRuns[1] + " schedules");
                    ChaosReport.of("two writers", load.describe(), kills + "× SIGKILL of a writer or an API process"
                                    + " at random (0.5–" + maxGap.toMillis() / 1000.0 + " s apart: " + killed
                                    + ")" + (Chaos.full() ? ", restarted each time" : ", not restarted"), result, recovered,
                            "2 `worker` + 2 `serve --role api` processes, one PostgreSQL, one ClickHouse server process;"
                                    + " written by " + splitText + "; " + retried + " failed calls re-sent;"
                                    + " usage_reconcile (every 5 s) ran " + reconcileRuns[0] + " times for "
                                    + reconcileRuns[1] + " schedules").publish();
                    result.assertExactlyOnce();
                    assertThat(split.keySet()).as("writers that wrote batches: %s", splitText)
                            .contains("worker-a", "worker-b");
                    assertThat(reconcileRuns[1]).as("usage_reconcile ran").isPositive();
                    assertThat(reconcileRuns[0]).as("usage_reconcile runs = schedules (never twice for one)")
                            .isEqualTo(reconcileRuns[1]);
                }
            } finally {
                load.close();
                all.forEach(Node::close);
            }
        }
    }

    /** Batches and events written per writer slot, from usage_batch.written_by ("pid@host") and the pids started. */
    private static Map<String, long[]> split(PostgresDatabase postgres, Map<Long, String> slotOfPid) throws SQLException {
        Map<String, long[]> out = new LinkedHashMap<>();
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT written_by, count(*), sum(event_count) FROM usage_batch"
                     + " WHERE written_at IS NOT NULL GROUP BY written_by ORDER BY written_by")) {
            while (rs.next()) {
                String by = rs.getString(1);
                long pid = Long.parseLong(by.substring(0, by.indexOf('@')));
                long[] sums = out.computeIfAbsent(slotOfPid.getOrDefault(pid, by), k -> new long[2]);
                sums[0] += rs.getLong(2);
                sums[1] += rs.getLong(3);
            }
        }
        return out;
    }

    private static void awaitSomeWritten(PostgresDatabase postgres, Map<Long, String> slotOfPid, Duration timeout)
            throws SQLException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (split(postgres, slotOfPid).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("within " + timeout + " no writer wrote a batch");
            }
            Chaos.sleep(Duration.ofMillis(200));
        }
    }

    /** The writer that has written the most batches so far: the one holding the sealer lease. */
    private static Node busiest(List<Node> writers, Map<String, long[]> split) {
        return writers.stream().max(java.util.Comparator.comparingLong(
                (Node n) -> split.getOrDefault(n.slot, new long[2])[0])).orElseThrow();
    }

    private static String describe(Map<String, long[]> split) {
        List<String> parts = new ArrayList<>();
        split.forEach((slot, sums) -> parts.add(slot + " " + sums[0] + " batches / " + sums[1] + " events"));
        return String.join(", ", parts);
    }

    /** How many jobs JobRunr created for the recurring job, and for how many distinct scheduled times. */
    private static long[] recurringRuns(PostgresDatabase postgres, String id) throws SQLException {
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*), count(DISTINCT scheduledat) FROM jobrunr_jobs"
                     + " WHERE recurringjobid = '" + id + "'")) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getLong(2)};
        }
    }

    /** One process slot (its name survives restarts; each start is a new JVM with a new pid). */
    private static final class Node implements AutoCloseable {
        final String slot;
        final List<String> command;
        final Map<String, String> env;
        private int generation;
        private ChildJvm process;

        private Node(String slot, List<String> command, Map<String, String> env) {
            this.slot = slot;
            this.command = command;
            this.env = env;
        }

        /** An API process on a port of its own, kept across restarts so clients find it again. */
        static Node api(String slot, Map<String, String> env) {
            Map<String, String> own = new HashMap<>(env);
            own.put("TOKENLEDGER_HTTP_PORT", Integer.toString(ClickHouseProcess.freePort()));
            return new Node(slot, List.of("serve", "--role", "api"), own);
        }

        static Node worker(String slot, Map<String, String> env) {
            return new Node(slot, List.of("worker"), env);
        }

        URI url() {
            return URI.create("http://localhost:" + env.get("TOKENLEDGER_HTTP_PORT"));
        }

        void start(Map<Long, String> slotOfPid) {
            // C1 only: four JVMs start (and restart) on a small, shared machine; their start-up JIT is most of it.
            ChildJvm started = ChildJvm.start("two-writers-" + slot + "-" + generation++, RoleProcess.class,
                    List.of("-Xmx384m", "-XX:TieredStopAtLevel=1"), command, env, Duration.ofMinutes(5));
            slotOfPid.put(started.pid(), slot);
            synchronized (this) {
                process = started;
            }
        }

        synchronized void kill() {
            process.kill();
        }

        @Override
        public synchronized void close() {
            if (process != null) {
                process.close();
            }
        }
    }
}
