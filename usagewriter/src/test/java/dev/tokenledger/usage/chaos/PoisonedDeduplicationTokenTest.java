package dev.tokenledger.usage.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.usage.TestPipeline;
import dev.tokenledger.usage.UsageWriteRequestV1;
import dev.tokenledger.usage.WriterSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression (found by the ClickHouse-crash chaos scenario: 120 events marked written were not in
 * llm_usage, although llm_usage_daily had them). A non-replicated MergeTree writes an insert's token to its
 * deduplication log before it commits the part; ClickHouse killed in between remembers a block it never
 * stored and drops every re-send of it as a duplicate, acknowledging each. The writer now checks that an
 * acknowledged month is there and, if not, writes it into llm_usage directly.
 *
 * <p>The crash is reproduced exactly: ClickHouse (a server process) is stopped after a batch was written,
 * the part is removed from its data directory (so the token stays, the rows go), ClickHouse is started
 * again and the batch's write is retried, as after a worker that died before marking it written.
 */
class PoisonedDeduplicationTokenTest {

    @Test
    void aMonthClickHouseAcknowledgesButDoesNotHoldIsWrittenIntoTheRawTableWithoutCountingTheRollupTwice(
            @TempDir Path dir) throws SQLException {
        Path data = dir.resolve("clickhouse");
        try (ClickHouseProcess server = ClickHouseProcess.start("poisoned-token", data);
             PostgresDatabase postgres = TestPostgres.freshDatabase("poisoned_token")) {
            ServerClickHouse.Settings settings = server.migratedDatabase("poisoned_token");
            try (ServerClickHouse clickHouse = ServerClickHouse.open(settings)) {
                TestPipeline pipeline = TestPipeline.manual(postgres, clickHouse, WriterSettings.DEFAULTS);
                try {
                    int events = pipeline.recorder.record(ChaosEvents.random(50)).size();
                    pipeline.writer.sealReady();
                    pipeline.writer.job().run(new UsageWriteRequestV1(1));
                    assertThat(pipeline.rawCount()).isEqualTo(events);

                    server.kill();
                    removeParts(data.resolve("data").resolve("poisoned_token").resolve("llm_usage"));
                    server.start();
                    assertThat(pipeline.rawCount()).as("the rows are gone, the token stays").isZero();
                    assertThat(pipeline.rollupEvents()).isEqualTo(events);
                    markUnwritten(postgres); // the attempt "died" before marking the batch written

                    pipeline.writer.job().run(new UsageWriteRequestV1(1));

                    LedgerAudit.Result result = new LedgerAudit(postgres.dataSource(), clickHouse).audit(List.of());
                    assertThat(result.written()).isEqualTo(events);
                    assertThat(result.rawRows()).isEqualTo(events);
                    assertThat(result.rollupEvents()).isEqualTo(events);
                    assertThat(result.rollupCost()).isEqualByComparingTo(result.rawCost());
                    assertThat(result.reconcile().clean()).as("%s", result.reconcile()).isTrue();
                    assertThat(clickHouse.query("SELECT count() AS n FROM system.tables WHERE database ="
                            + " currentDatabase() AND name LIKE 'llm_usage_repair%'").getFirst().int64("n"))
                            .as("staging tables left behind").isZero();
                } finally {
                    pipeline.close();
                }
            }
        }
    }

    private static void removeParts(Path table) {
        try (Stream<Path> parts = Files.list(table)) {
            for (Path part : parts.filter(p -> p.getFileName().toString().matches("\\d{6}_\\d+_\\d+_\\d+")).toList()) {
                try (Stream<Path> files = Files.walk(part)) {
                    for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(f);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void markUnwritten(PostgresDatabase postgres) throws SQLException {
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("DELETE FROM usage_written_day");
            st.execute("UPDATE usage_batch SET written_at = NULL, written_events = NULL");
        }
    }
}
