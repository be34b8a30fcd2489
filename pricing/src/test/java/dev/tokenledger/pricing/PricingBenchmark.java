package dev.tokenledger.pricing;

import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * Rough numbers for pricing's hot paths and its refresh, printed, never asserted:
 * <pre>
 * ./mvnw -B -q -o -pl pricing -am install -DskipTests
 * ./mvnw -B -q -o -pl pricing exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.tokenledger.pricing.PricingBenchmark
 * </pre>
 * Lookup = resolve a model name and pick the window valid at an event time (what every priced event does
 * first); cost = a full {@link Pricing#priceEvent} (lookup, rates, BigDecimal components, result record).
 * Refresh times use a real PostgreSQL (TestPostgres) and LiteLLM's ~3,000-model file.
 */
public final class PricingBenchmark {
    private PricingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        System.out.printf(Locale.ROOT, "java %s, %d cores%n", Runtime.version(), Runtime.getRuntime().availableProcessors());
        byte[] july = TestFeeds.bytes(TestFeeds.JUL);
        long t0 = System.nanoTime();
        Catalog catalog = null;
        for (int i = 0; i < 10; i++) {
            catalog = CatalogParser.parse(july);
        }
        System.out.printf(Locale.ROOT, "parse %,d-byte feed (%d models): %.1f ms (mean of 10, cold JVM)%n",
                july.length, catalog.size(), (System.nanoTime() - t0) / 10 / 1e6);
        t0 = System.nanoTime();
        PriceSnapshot snapshot = PriceSnapshot.of(catalog);
        System.out.printf(Locale.ROOT, "build snapshot: %.1f ms%n", (System.nanoTime() - t0) / 1e6);

        long now = Instant.parse("2026-07-25T00:00:00Z").toEpochMilli();
        // The harness lives in main code (the CLI's `bench --scenario pricing` runs it too).
        PricingMicrobenchmarks.Result lookup = PricingMicrobenchmarks.lookup(snapshot, now, 5, 5, 5_000_000);
        System.out.printf(Locale.ROOT, "lookup (resolve name + window): %.1f ns/op (best %.1f, worst %.1f),"
                + " %.3f bytes/op%n", lookup.nanosPerOp(), lookup.bestNanosPerOp(), lookup.worstNanosPerOp(),
                lookup.bytesPerOp());
        PricingMicrobenchmarks.Result cost = PricingMicrobenchmarks.fullCost(snapshot, now, 5, 5, 1_000_000);
        System.out.printf(Locale.ROOT, "full cost (priceEvent): %.1f ns/op (best %.1f, worst %.1f)%n",
                cost.nanosPerOp(), cost.bestNanosPerOp(), cost.worstNanosPerOp());
        refreshes();
    }

    private static void refreshes() throws Exception {
        Path dir = Files.createTempDirectory("pricing-benchmark");
        FeedSource.File feb = TestFeeds.file(dir, TestFeeds.FEB);
        FeedSource.File jul = TestFeeds.file(dir, TestFeeds.JUL);
        for (int run = 1; run <= 3; run++) {
            try (PostgresDatabase db = TestPostgres.freshDatabase("benchmark" + run)) {
                MutableClock clock = new MutableClock("2026-03-01T00:00:00Z");
                try (Pricing pricing = new Pricing(db.dataSource(),
                        PricingSettings.defaults().withCacheCheckInterval(Duration.ZERO), clock)) {
                    time(run, "refresh into an empty book (2,983 models)", () -> pricing.refresh(jul));
                    clock.advance(Duration.ofDays(1));
                    time(run, "refresh, same feed again (unchanged)", () -> pricing.refresh(jul));
                    clock.advance(Duration.ofDays(1));
                    time(run, "refresh to the February feed (change set)", () -> pricing.refresh(feb));
                    clock.advance(Duration.ofDays(1));
                    time(run, "refresh back to July (change set)", () -> pricing.refresh(jul));
                    long t0 = System.nanoTime();
                    try (Pricing other = new Pricing(db.dataSource(),
                            PricingSettings.defaults().withCacheCheckInterval(Duration.ZERO), clock)) {
                        if (run == 3) {
                            System.out.printf(Locale.ROOT, "  load snapshot from PostgreSQL (%d models): %.0f ms%n",
                                    other.modelCount(), (System.nanoTime() - t0) / 1e6);
                        }
                    }
                }
            }
        }
    }

    private static void time(int run, String what, java.util.function.Supplier<RefreshResult> refresh) {
        long t0 = System.nanoTime();
        RefreshResult r = refresh.get();
        if (run == 3) {
            System.out.printf(Locale.ROOT, "  %s: %.0f ms -> %s (+%d ~%d -%d)%n", what, (System.nanoTime() - t0) / 1e6,
                    r.outcome(), r.added(), r.changed(), r.removed());
        }
    }
}
