package dev.tokenledger.orchestrator;

import picocli.CommandLine;

/** Entry point of the service and its CLI: {@code ./tokenledger <command>} (see {@link TokenledgerCommand}). */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install();
        System.setProperty("org.jooq.no-logo", "true");
        System.setProperty("org.jooq.no-tips", "true");
        CommandLine cli = commandLine();
        int code = cli.execute(args);
        cli.getOut().flush();
        cli.getErr().flush();
        System.exit(code);
    }

    /** The CLI, as tests drive it. */
    public static CommandLine commandLine() {
        return commandLine(LedgerOpener.FROM_ENVIRONMENT);
    }

    /**
     * The CLI with commands that open their ledger through {@code ledgers}: a command that takes a
     * {@link LedgerOpener} in its constructor gets this one, the others are made as picocli makes them.
     */
    static CommandLine commandLine(LedgerOpener ledgers) {
        CommandLine.IFactory defaults = CommandLine.defaultFactory();
        CommandLine cli = new CommandLine(new TokenledgerCommand(), new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                try {
                    return type.getDeclaredConstructor(LedgerOpener.class).newInstance(ledgers);
                } catch (NoSuchMethodException e) {
                    return defaults.create(type);
                }
            }
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof ConfigException || e instanceof IllegalArgumentException) {
                cmd.getErr().println("tokenledger: " + e.getMessage());
                return 2;
            }
            cmd.getErr().println("tokenledger: " + e);
            org.slf4j.LoggerFactory.getLogger(Main.class).debug("command failed", e);
            return 1;
        });
        return cli;
    }
}
