package dev.tokenledger.usage.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.usage.FixedRatePricer;
import dev.tokenledger.usage.TestPipeline;
import dev.tokenledger.usage.WriterSettings;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Scenario "rollup-crash": under steady load, the ClickHouse server process is SIGKILLed inside a table's commit
 * window, again and again: after an insert's token reached the table's deduplication log and before its part was
 * committed ({@link CommitWindowHook}), mostly in llm_usage_daily (the rollup's own window, which no re-send can
 * repair), sometimes in llm_usage. It is restarted at once each time. Afterwards, with nobody typing a command
 * (the writer's retries and the recurring usage_reconcile job, every 5 s here), raw, rollup and PostgreSQL's
 * written totals must agree to the last digit.
 */
@Execution(ExecutionMode.CONCURRENT)
@Tag(Chaos.TAG)
@Tag("chaos-rollup-crash")
class RollupCrashChaosTest {

    @Test
    void clickHouseKilledInsideCommitWindowsUnderLoadEndsWithRawRollupAndWrittenExactlyEqual() throws SQLException {
        int kills = Chaos.pick(3, 12);
        Random random = Chaos.random("rollup-crash");
        Path data = Path.of("target", "chaos", "rollup-crash-" + System.currentTimeMillis());
        CommitWindowHook hook = CommitWindowHook.build(data.resolve("hook"));
        try (ClickHouseProcess server = ClickHouseProcess.startWithCommitHook("rollup-crash", data.resolve("ch"), hook);
             PostgresDatabase postgres = TestPostgres.freshDatabase("chaos_rollup_crash")) {
            ServerClickHouse.Settings settings = server.migratedDatabase("chaos_rollup_crash");
            try (ServerClickHouse writerClient = ServerClickHouse.open(settings);
                 ServerClickHouse auditClient = ServerClickHouse.open(settings)) {
                String rollupDir = CommitWindowHook.dataDirectory(auditClient, "llm_usage_daily");
                String rawDir = CommitWindowHook.dataDirectory(auditClient, "llm_usage");
                TestPipeline pipeline = TestPipeline.start(postgres, writerClient, new FixedRatePricer(),
                        WriterSettings.DEFAULTS.withMaxBatchEvents(500), 4);
                pipeline.scheduleReconcile(Duration.ofSeconds(5));
                SteadyLoad load = SteadyLoad.start(pipeline.recorder, 2, 20, Duration.ofMillis(20));
                int rollupKills = 0;
                int rawKills = 0;
                try {
                    long lastRestart = 0;
                    for (int kill = 1; kill <= kills; kill++) {
                        Chaos.sleep(Chaos.between(random, Duration.ofMillis(300), Duration.ofMillis(2_000)));
                        boolean rollup = random.nextInt(3) != 0;
                        hook.arm(rollup ? rollupDir : rawDir);
                        assertThat(server.awaitDeath(Duration.ofSeconds(60)))
                                .as("the armed hook killed ClickHouse at the next commit of a part").isTrue();
                        if (rollup) {
                            rollupKills++;
                        } else {
                            rawKills++;
                        }
                        server.start();
                        lastRestart = System.nanoTime();
                    }
                    Chaos.sleep(Duration.ofSeconds(2));
                    load.stop();

                    LedgerAudit audit = new LedgerAudit(postgres.dataSource(), auditClient);
                    audit.awaitDrained(Duration.ofMinutes(10));
                    Duration recovered = Duration.ofNanos(System.nanoTime() - lastRestart);
                    LedgerAudit.Result result = audit.audit(load.acknowledged);
                    long rebuilt = count(postgres, "SELECT count(*) FROM usage_rollup_repair WHERE outcome = 'rebuilt'");
                    System.out.println("[chaos] rollup-crash: " + result.summary() + "; kills in llm_usage_daily's"
                            + " commit window " + rollupKills + ", in llm_usage's " + rawKills + "; rollup months rebuilt "
                            + rebuilt);
                    ChaosReport.of("Rollup crash", load.describe(), kills + "× SIGKILL of the ClickHouse server inside a"
                                    + " commit window (" + rollupKills + "× llm_usage_daily, " + rawKills + "× llm_usage),"
                                    + " restarted at once; " + rebuilt + " rollup month rebuild(s) by usage_reconcile",
                            result, recovered, "recovery = last restart → every durable event written, rollup rebuilt"
                                    + " and reconcile clean").publish();
                    assertThat(load.failures.get()).as("record() failures (PostgreSQL was up)").isZero();
                    result.assertExactlyOnce();
                    if (rollupKills > 0) {
                        assertThat(rebuilt).as("rollup months rebuilt by the scheduled reconcile").isPositive();
                    }
                } finally {
                    hook.disarm();
                    load.close();
                    pipeline.close();
                }
            }
        }
    }

    private static long count(PostgresDatabase postgres, String sql) throws SQLException {
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
