package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.pricing.Pricing;
import java.time.Duration;
import java.time.InstantSource;
import javax.sql.DataSource;
import org.jobrunr.scheduling.JobRequestScheduler;
import org.jobrunr.server.BackgroundJobServer;

/**
 * For tests outside this package (the chaos suite, the service's tests) that need one piece on its own, wired
 * differently from {@link TokenLedger} (a second sealer with tiny batches, a repricer at fixed rates, a recorder in a
 * child JVM): the constructors are package-private, so hosts go through the builder, and tests come here.
 */
public final class TestWiring {
    private TestWiring() {
    }

    public static UsageRecorder recorder(DataSource dataSource, RecorderSettings settings) {
        return new UsageRecorder(dataSource, settings, InstantSource.system());
    }

    /** A writer that seals into {@code jobs} but wakes no workers (a sealer beside a ledger's own writer). */
    public static UsageWriter sealer(DataSource dataSource, ClickHouse clickHouse, Pricing pricing,
                                     JobRequestScheduler jobs, WriterSettings settings) {
        return new UsageWriter(dataSource, clickHouse, new PricingEventPricer(pricing), jobs, () -> { }, settings,
                InstantSource.system());
    }

    /** A repricer whose runs run only where {@link Repricer#run} is called (no job scheduler). */
    public static Repricer repricer(DataSource dataSource, ClickHouse clickHouse, EventPricer pricer) {
        return new Repricer(dataSource, clickHouse, pricer, null, InstantSource.system());
    }

    public static Repricer repricer(DataSource dataSource, ClickHouse clickHouse, Pricing pricing) {
        return repricer(dataSource, clickHouse, new PricingEventPricer(pricing));
    }

    public static Eraser eraser(DataSource dataSource, ClickHouse clickHouse) {
        return new Eraser(dataSource, clickHouse, new RollupRepair(dataSource, clickHouse, InstantSource.system()), null,
                InstantSource.system());
    }

    public static Reconciler reconciler(DataSource dataSource, ClickHouse clickHouse) {
        return new Reconciler(dataSource, clickHouse);
    }

    public static UsageBacklog backlog(DataSource dataSource) {
        return new UsageBacklog(dataSource, InstantSource.system());
    }

    public static JobServerWatchdog watchdog(BackgroundJobServer server, DataSource dataSource, Duration interval) {
        return new JobServerWatchdog(server, dataSource, interval);
    }
}
