package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.pricing.PricedCost;
import dev.tokenledger.pricing.Pricing;
import dev.tokenledger.pricing.PricingSettings;
import dev.tokenledger.pricing.TokenUsage;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * JMH microbenchmarks of pricing's two hot paths; {@link PricingScenario} ({@code tokenledger bench --scenario
 * pricing}) runs them through {@link Jmh} and reports their figures.
 *
 * <ul>
 *   <li>{@link #lookup}: resolve a caller's model name and pick the window valid at an event time, against the
 *       in-memory snapshot {@link Pricing} prices from (what every priced event does first). Allocates nothing.</li>
 *   <li>{@link #fullCost}: a whole {@link Pricing#priceEvent} (lookup, rates, exact {@code BigDecimal}
 *       components, the result record).</li>
 * </ul>
 *
 * <p><b>Where the state comes from.</b> JMH runs each benchmark in a JVM of its own (a fork: same java, class path
 * and JVM options), so no object of the scenario can be handed over. The scenario passes the benchmark database it
 * refreshed from the bundled LiteLLM file as {@code @Param}s ({@link Book#jdbcUrl}, {@link Book#user},
 * {@link Book#password}), and {@link Book#open} opens a {@link Pricing} on it: the same book, so the same snapshot
 * the scenario's own {@code Pricing} loaded. Nothing goes through static fields, so this works in-process
 * ({@code forks(0)}) too, and stand-alone: {@code java -cp tokenledger.jar org.openjdk.jmh.Main PricingBenchmarks
 * -p jdbcUrl=... -p user=... -p password=}.
 *
 * <p><b>How the lookup reaches the snapshot.</b> {@code PriceSnapshot} and its {@code resolve}/{@code segment} are
 * package-private in {@code dev.tokenledger.pricing}, and stay so: the benchmark must not shape pricing's API. The
 * lookup benchmark calls them through method handles ({@link Snapshots}), looked up once by name into
 * {@code static final} fields, which the JIT inlines like direct calls (the lookup still measures 0 bytes/op). A
 * rename in pricing fails this benchmark's set-up with the name that is gone ({@code BenchCommandTest} runs it).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 7, time = 1)
public class PricingBenchmarks {
    /** The names callers send: exact, case-folded, provider-prefixed, unknown. */
    static final String[] LOOKUP_NAMES = {"gpt-4o", "claude-sonnet-4-5", "GPT-4o-mini", "openai/gpt-4o",
            "gemini-1.5-flash", "anthropic.claude-3-5-sonnet-20240620-v1:0", "no-such-model",
            "vertex_ai/gemini-2.5-flash"};
    static final String[] LOOKUP_PROVIDERS = {"openai", "anthropic", null, null, "gemini", "bedrock", "openai", null};
    /** Four real models, priced for a cached, reasoning call. */
    static final String[] PRICED_MODELS = {"gpt-4o", "claude-sonnet-4-5", "gemini/gemini-2.5-pro",
            "deepseek/deepseek-chat"};
    static final TokenUsage USAGE = TokenUsage.of(12_000, 800).withCachedTokens(8_000).withThoughtsTokens(300);

    /** The price book the scenario refreshed, and a {@link Pricing} on it (one per fork). */
    @State(Scope.Benchmark)
    public static class Book {
        /** The benchmark database's JDBC URL (its price book already loaded); there is no default. */
        @Param("")
        public String jdbcUrl;
        @Param("postgres")
        public String user;
        /** Empty for none. */
        @Param("")
        public String password;

        Pricing pricing;
        /** The {@code PriceSnapshot} {@link #pricing} prices from. */
        Object snapshot;

        @Setup(Level.Trial)
        public void open() {
            if (jdbcUrl.isEmpty()) {
                throw new IllegalArgumentException("-p jdbcUrl=... must name a database with a price book");
            }
            PGSimpleDataSource dataSource = new PGSimpleDataSource();
            dataSource.setURL(jdbcUrl);
            dataSource.setUser(user);
            if (!password.isEmpty()) {
                dataSource.setPassword(password);
            }
            dataSource.setApplicationName("tokenledger-bench");
            pricing = new Pricing(dataSource, PricingSettings.defaults().withCacheCheckInterval(Duration.ZERO),
                    InstantSource.system());
            if (pricing.modelCount() == 0) {
                throw new IllegalStateException("the price book at " + jdbcUrl + " is empty");
            }
            snapshot = Snapshots.current(pricing);
        }

        @TearDown(Level.Trial)
        public void close() {
            pricing.close();
        }
    }

    /** Which input comes next, and the event time (now, at the start of the trial). */
    @State(Scope.Thread)
    public static class Events {
        int next;
        long now;

        @Setup(Level.Trial)
        public void start() {
            now = System.currentTimeMillis();
        }
    }

    /** Resolves the next caller name and picks its window at a (moving) event time; null for the unknown name. */
    @Benchmark
    public Object lookup(Book book, Events events) {
        int i = events.next++;
        int k = i & 7;
        int resolved = Snapshots.resolve(book.snapshot, LOOKUP_NAMES[k], LOOKUP_PROVIDERS[k]);
        return resolved == Snapshots.UNRESOLVED ? null : Snapshots.segment(book.snapshot, resolved,
                events.now + (i & 0xFFFFF));
    }

    /** Prices the next of four real models, exactly. */
    @Benchmark
    public PricedCost fullCost(Book book, Events events) {
        return book.pricing.priceEvent(PRICED_MODELS[events.next++ & 3], null, events.now, USAGE);
    }

    /**
     * {@code PriceSnapshot}'s lookups by method handle (see the class comment): {@code Pricing.cache.current()},
     * {@code PriceSnapshot.resolve(String, String)} (name only, as every event resolves first), {@code
     * PriceSnapshot.segment(int, long)} and {@code PriceSnapshot.UNRESOLVED}.
     */
    static final class Snapshots {
        private static final MethodHandle CURRENT; // (Pricing)Object
        private static final MethodHandle RESOLVE; // (Object, String, String)int
        private static final MethodHandle SEGMENT; // (Object, int, long)Object
        static final int UNRESOLVED;

        static {
            String looking = "dev.tokenledger.pricing.PriceSnapshot";
            try {
                MethodHandles.Lookup pricing = MethodHandles.privateLookupIn(Pricing.class, MethodHandles.lookup());
                Class<?> snapshot = pricing.findClass("dev.tokenledger.pricing.PriceSnapshot");
                Class<?> segment = pricing.findClass("dev.tokenledger.pricing.Segment");
                Class<?> cache = pricing.findClass("dev.tokenledger.pricing.SnapshotCache");
                looking = "Pricing.cache";
                MethodHandle cacheOf = pricing.findGetter(Pricing.class, "cache", cache);
                looking = "SnapshotCache.current()";
                MethodHandle current = pricing.findVirtual(cache, "current", MethodType.methodType(snapshot));
                CURRENT = MethodHandles.filterReturnValue(cacheOf, current)
                        .asType(MethodType.methodType(Object.class, Pricing.class));
                looking = "PriceSnapshot.resolve(String, String)";
                RESOLVE = pricing.findVirtual(snapshot, "resolve",
                                MethodType.methodType(int.class, String.class, String.class))
                        .asType(MethodType.methodType(int.class, Object.class, String.class, String.class));
                looking = "PriceSnapshot.segment(int, long)";
                SEGMENT = pricing.findVirtual(snapshot, "segment",
                                MethodType.methodType(segment, int.class, long.class))
                        .asType(MethodType.methodType(Object.class, Object.class, int.class, long.class));
                looking = "PriceSnapshot.UNRESOLVED";
                UNRESOLVED = (int) pricing.findStaticGetter(snapshot, "UNRESOLVED", int.class).invokeExact();
            } catch (Throwable e) {
                throw new IllegalStateException("the pricing lookup benchmark cannot reach " + looking
                        + " (renamed in dev.tokenledger.pricing?): " + e, e);
            }
        }

        private Snapshots() {
        }

        static Object current(Pricing pricing) {
            try {
                return (Object) CURRENT.invokeExact(pricing);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }

        static int resolve(Object snapshot, String model, String provider) {
            try {
                return (int) RESOLVE.invokeExact(snapshot, model, provider);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }

        static Object segment(Object snapshot, int resolved, long epochMillis) {
            try {
                return (Object) SEGMENT.invokeExact(snapshot, resolved, epochMillis);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
