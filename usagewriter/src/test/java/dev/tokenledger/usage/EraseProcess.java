package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.PostgresSettings;
import java.io.IOException;

/**
 * An erasure in a JVM of its own, for the chaos scenario that kills it with SIGKILL. Arguments: PostgreSQL JDBC URL,
 * ClickHouse HTTP endpoint, ClickHouse database, erasure id, and the step at which it SIGKILLs itself
 * ({@code counted 202611}, {@code deleted …}, {@code rebuilt …}; {@code none} to run to the end). Prints READY when
 * it starts working, KILLED AT when it is about to die, DONE when the erasure is done.
 */
public final class EraseProcess {
    private EraseProcess() {
    }

    public static void main(String[] args) {
        PostgresDatabase postgres = PostgresDatabase.open(PostgresSettings.server(args[0], "postgres", null));
        ServerClickHouse clickHouse = ServerClickHouse.open(ServerClickHouse.Settings.of(args[1], "default", "",
                args[2]).withCompressServerResponse(false));
        Eraser eraser = TestWiring.eraser(postgres.dataSource(), clickHouse);
        String killAt = args[4];
        eraser.steps = step -> {
            System.out.println("step " + step);
            System.out.flush();
            if (step.equals(killAt)) {
                System.out.println("KILLED AT " + step);
                System.out.flush();
                try {
                    // A real SIGKILL, at this very point: no finally blocks, no shutdown hooks, connections dropped.
                    new ProcessBuilder("kill", "-9", Long.toString(ProcessHandle.current().pid())).start().waitFor();
                } catch (IOException | InterruptedException e) {
                    // fall through: halt below ends the process the same way
                }
                Runtime.getRuntime().halt(137); // not reached once the signal lands; never run on past this step
            }
        };
        System.out.println("READY");
        System.out.flush();
        eraser.run(Long.parseLong(args[3]));
        System.out.println("DONE");
        System.out.flush();
        System.exit(0);
    }
}
