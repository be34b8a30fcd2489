package dev.tokenledger.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresDatabaseTest {

    @Test
    void embeddedDatabaseKeepsItsDataAcrossRestartsAndIsDurable(@TempDir Path home) throws SQLException {
        try (PostgresDatabase db = PostgresDatabase.open(PostgresSettings.embedded(home))) {
            assertThat(db.isEmbedded()).isTrue();
            db.migrate();
            assertThat(db.serverVersion()).startsWith("17.");
            assertThat(setting(db, "fsync")).isEqualTo("on");
            assertThat(setting(db, "synchronous_commit")).isEqualTo("on");
            execute(db, "INSERT INTO pricing_refresh_log (started_at, source, outcome) VALUES (now(), 'test', 'running')");
        }
        try (PostgresDatabase reopened = PostgresDatabase.open(PostgresSettings.embedded(home))) {
            reopened.migrate();
            assertThat(queryLong(reopened, "SELECT count(*) FROM pricing_refresh_log")).isEqualTo(1);
        }
    }

    @Test
    void aSecondProcessOnTheSameHomeAttachesToTheRunningServer(@TempDir Path home) throws SQLException {
        try (PostgresDatabase first = PostgresDatabase.open(PostgresSettings.embedded(home));
             PostgresDatabase second = PostgresDatabase.open(PostgresSettings.embedded(home))) {
            first.migrate();
            execute(first, "INSERT INTO pricing_refresh_log (started_at, source, outcome) VALUES (now(), 'a', 'running')");
            assertThat(queryLong(second, "SELECT count(*) FROM pricing_refresh_log")).isEqualTo(1);
        }
    }

    @Test
    void migrateBringsUpTokenledgerAndJobRunrTablesAndIsIdempotent() throws SQLException {
        try (PostgresDatabase db = TestPostgres.freshDatabase("migrate")) {
            db.migrate();
            assertThat(db.migrate().migrationsExecuted).isZero();
            for (String table : new String[] {"model_pricing", "pricing_refresh_log", "model_pricing_override",
                    "usage_event", "usage_batch", "usage_written_day", "usage_dead_letter", "jobrunr_jobs",
                    "jobrunr_recurring_jobs", "jobrunr_backgroundjobservers"}) {
                assertThat(queryLong(db, "SELECT count(*) FROM information_schema.tables WHERE table_name = '"
                        + table + "'")).as(table).isEqualTo(1);
            }
        }
    }

    @Test
    void aUrlThatIsNotPostgresIsRefusedNamingTheSettingWithoutItsPassword() {
        assertThatThrownBy(() -> PostgresSettings.server("jdbc:mysql://db/x?password=hunter2", "u", "p"))
                .hasMessageContaining("TOKENLEDGER_PG_URL")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void settingsNeverPrintThePassword() {
        assertThat(PostgresSettings.server("jdbc:postgresql://db/x", "u", "hunter2").toString())
                .doesNotContain("hunter2")
                .contains("***");
    }

    private static String setting(PostgresDatabase db, String name) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }

    static long queryLong(PostgresDatabase db, String sql) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static void execute(PostgresDatabase db, String sql) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
