package dev.tokenledger.orchestrator;

import dev.tokenledger.postgres.PostgresDatabase;
import javax.sql.DataSource;

/**
 * How a command opens its {@link Ledger}: from the environment when run from the shell, on a test's databases
 * when a test drives the CLI ({@link Main#commandLine(LedgerOpener)}). The command closes what it opened.
 */
interface LedgerOpener {
    LedgerOpener FROM_ENVIRONMENT = new LedgerOpener() {
        @Override
        public Ledger open(Ledger.Mode mode) {
            return Ledger.open(LedgerConfig.fromEnvironment(), mode);
        }

        @Override
        public LedgerConfig config() {
            return LedgerConfig.fromEnvironment();
        }

        @Override
        public Postgres postgres() {
            PostgresDatabase db = PostgresDatabase.open(LedgerConfig.fromEnvironment().postgres());
            try {
                db.migrate();
            } catch (RuntimeException e) {
                db.close();
                throw e;
            }
            return new Postgres(db.dataSource(), db);
        }
    };

    Ledger open(Ledger.Mode mode);

    /** The configuration the ledgers are opened with, for checks a command makes before opening anything. */
    LedgerConfig config();

    /**
     * PostgreSQL alone, migrated, for commands that need nothing else ({@code keys}): they then work beside a
     * running service whose embedded ClickHouse (one process per data directory) is not theirs to open.
     */
    default Postgres postgres() {
        Ledger ledger = open(Ledger.Mode.CLIENT);
        return new Postgres(ledger.postgres().dataSource(), ledger);
    }

    /** A PostgreSQL {@code DataSource} and what to close when done with it. */
    record Postgres(DataSource dataSource, AutoCloseable owner) implements AutoCloseable {
        @Override
        public void close() {
            try {
                owner.close();
            } catch (Exception e) {
                throw new IllegalStateException("could not close PostgreSQL", e);
            }
        }
    }
}
