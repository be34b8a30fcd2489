package dev.tokenledger.clickhouse;

import java.nio.file.Path;

/**
 * A ClickHouse server in a JVM of its own: chDB on a data directory of its own, behind ClickHouse's HTTP
 * interface ({@link ChdbHttpEndpoint}) on a fixed loopback port. Tests that need ClickHouse to go away
 * for real kill this process (SIGKILL: no shutdown hook, no flush) and start it again on the same port
 * and data; clients see refused connections in between, exactly as with a crashed server.
 *
 * <p>Arguments: data directory, port. Prints {@code READY <url>} once it serves requests.
 */
public final class ChdbServerProcess {
    private ChdbServerProcess() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2) {
            System.err.println("usage: ChdbServerProcess <data directory> <port>");
            System.exit(2);
        }
        ChdbEngine engine = ChdbEngine.open(Path.of(args[0]));
        ChdbHttpEndpoint endpoint = ChdbHttpEndpoint.start(engine, Integer.parseInt(args[1]));
        System.out.println("READY " + endpoint.url());
        System.out.flush();
        Thread.currentThread().join(); // serves until killed
    }
}
