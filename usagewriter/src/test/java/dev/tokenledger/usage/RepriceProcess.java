package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.PostgresSettings;
import java.math.BigDecimal;
import java.time.InstantSource;

/**
 * A reprice run in a JVM of its own, for the chaos scenario that kills it with SIGKILL. Arguments: PostgreSQL
 * JDBC URL, ClickHouse HTTP endpoint, ClickHouse database, run id, price factor (the new prices are the fixed test
 * rates times it), in chunks of 500 events. Prints READY when it starts working and DONE when the run is done.
 */
public final class RepriceProcess {
    private RepriceProcess() {
    }

    public static void main(String[] args) {
        PostgresDatabase postgres = PostgresDatabase.open(PostgresSettings.server(args[0], "postgres", null));
        ServerClickHouse clickHouse = ServerClickHouse.open(ServerClickHouse.Settings.of(args[1], "default", "",
                args[2]).withCompressServerResponse(false));
        // Small chunks: the kills land between chunks, inside one, and right after an insert.
        Repricer repricer = new Repricer(postgres.dataSource(), clickHouse, new FixedRatePricer(new BigDecimal(args[4])),
                null, InstantSource.system(), 500);
        System.out.println("READY");
        System.out.flush();
        while (true) {
            try {
                repricer.run(Long.parseLong(args[3]), n -> System.out.println("chunk of " + n + " event(s) done"));
                break;
            } catch (IllegalStateException e) {
                // A killed predecessor's session still holds the run lock for a moment: try again.
                if (!String.valueOf(e.getMessage()).contains("another reprice run")) {
                    throw e;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        System.out.println("DONE");
        System.out.flush();
        System.exit(0);
    }
}
