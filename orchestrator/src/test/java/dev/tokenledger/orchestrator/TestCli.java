package dev.tokenledger.orchestrator;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * The CLI as {@code ./tokenledger} runs it ({@link Main#commandLine}: the same commands, options and error
 * handling), with every command opening its ledger on a test's databases.
 */
final class TestCli {
    /** What one command printed, and its exit code. */
    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- out ---\n" + out + "--- err ---\n" + err;
        }
    }

    private final LedgerOpener ledgers;

    TestCli(LedgerConfig config, PostgresDatabase postgres, ClickHouse clickHouse) {
        this.ledgers = new LedgerOpener() {
            @Override
            public Ledger open(Ledger.Mode mode) {
                return TestLedger.open(config, mode, postgres, clickHouse);
            }

            @Override
            public LedgerConfig config() {
                return config;
            }
        };
    }

    Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine(ledgers);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        cli.getOut().flush();
        cli.getErr().flush();
        return new Run(exit, out.toString(), err.toString());
    }
}
