package dev.tokenledger.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SqlScriptTest {

    @Test
    void statementsEndWithASemicolonAtTheEndOfALineAndCommentLinesAreDropped() {
        String script = """
                -- a table
                CREATE TABLE a (
                    x UInt8 -- not a comment line, kept
                ) ENGINE = Memory;

                -- a view; with a semicolon inside the comment;
                CREATE VIEW v AS SELECT ';' AS s FROM a ;
                SELECT 1
                """;

        assertThat(SqlScript.statements(script)).containsExactly(
                "CREATE TABLE a (\n    x UInt8 -- not a comment line, kept\n) ENGINE = Memory",
                "CREATE VIEW v AS SELECT ';' AS s FROM a",
                "SELECT 1");
    }

    @Test
    void theShippedMigrationsAreListedInOrderAndSplitIntoTheirStatements() throws java.io.IOException {
        var migrations = new ClickHouseMigrations(null);

        assertThat(migrations.listedFiles()).containsExactly("V1__llm_usage.sql", "V2__llm_usage_daily.sql",
                "V3__llm_usage_checks.sql", "V4__tokenledger_installation.sql", "V5__llm_usage_lookups.sql",
                "V6__llm_usage_adjustment.sql", "V7__pricing_basis.sql", "V8__billed_extras.sql",
                "V9__llm_usage_daily_projections.sql");
        assertThat(SqlScript.statements(resource("V1__llm_usage.sql"))).singleElement().asString()
                .startsWith("CREATE TABLE IF NOT EXISTS llm_usage");
        assertThat(SqlScript.statements(resource("V2__llm_usage_daily.sql"))).satisfiesExactly(
                s -> assertThat(s).startsWith("CREATE TABLE IF NOT EXISTS llm_usage_daily"),
                s -> assertThat(s).startsWith("CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_mv TO llm_usage_daily"));
    }

    private static String resource(String file) throws java.io.IOException {
        try (var in = SqlScriptTest.class.getClassLoader().getResourceAsStream("db/clickhouse/" + file)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
