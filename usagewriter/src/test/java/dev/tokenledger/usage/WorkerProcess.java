package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ServerClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.PostgresSettings;

/**
 * A usage writer in a JVM of its own (JobRunr server, sealer, usage_write jobs), for tests that kill it
 * with SIGKILL. Arguments: PostgreSQL JDBC URL, ClickHouse HTTP endpoint, ClickHouse database.
 */
public final class WorkerProcess {
    private WorkerProcess() {
    }

    public static void main(String[] args) throws InterruptedException {
        PostgresDatabase postgres = PostgresDatabase.open(PostgresSettings.server(args[0], "postgres", null));
        ServerClickHouse clickHouse = ServerClickHouse.open(ServerClickHouse.Settings.of(args[1], "default", "",
                args[2]).withCompressServerResponse(false));
        TestPipeline.start(postgres, clickHouse, new FixedRatePricer(), WriterSettings.DEFAULTS.withMaxBatchEvents(200),
                4);
        System.out.println("READY");
        System.out.flush();
        Thread.currentThread().join(); // until killed
    }
}
