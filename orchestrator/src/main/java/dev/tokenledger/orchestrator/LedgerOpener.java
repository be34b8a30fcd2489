package dev.tokenledger.orchestrator;

/**
 * How a command opens its {@link Ledger}: from the environment when run from the shell, on a test's databases
 * when a test drives the CLI ({@link Main#commandLine(LedgerOpener)}). The command closes what it opened.
 */
@FunctionalInterface
interface LedgerOpener {
    LedgerOpener FROM_ENVIRONMENT = mode -> Ledger.open(LedgerConfig.fromEnvironment(), mode);

    Ledger open(Ledger.Mode mode);
}
