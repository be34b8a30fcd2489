package dev.tokenledger.pricing;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Objects;

/**
 * A small, careful harness for pricing's two hot paths, used by {@code tokenledger bench --scenario pricing}
 * and by the test-side {@code PricingBenchmark}: warm-up rounds until the JIT has settled, then several
 * timed rounds of millions of operations each, reporting the median round (and the best and worst), with
 * the result folded into a sink so no work can be eliminated.
 *
 * <ul>
 *   <li>{@link #lookup}: resolve a caller's model name and pick the window valid at an event time, against
 *       the in-memory snapshot of {@code pricing} (what every priced event does first). Allocates nothing.</li>
 *   <li>{@link #fullCost}: a whole {@link Pricing#priceEvent} (lookup, rates, exact {@code BigDecimal}
 *       components, the result record).</li>
 * </ul>
 */
public final class PricingMicrobenchmarks {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** The names callers send: exact, case-folded, provider-prefixed, unknown. */
    static final String[] LOOKUP_NAMES = {"gpt-4o", "claude-sonnet-4-5", "GPT-4o-mini", "openai/gpt-4o",
            "gemini-1.5-flash", "anthropic.claude-3-5-sonnet-20240620-v1:0", "no-such-model",
            "vertex_ai/gemini-2.5-flash"};
    static final String[] LOOKUP_PROVIDERS = {"openai", "anthropic", null, null, "gemini", "bedrock", "openai", null};
    static final String[] PRICED_MODELS = {"gpt-4o", "claude-sonnet-4-5", "gemini/gemini-2.5-pro",
            "deepseek/deepseek-chat"};

    /**
     * One measurement: nanoseconds per operation (median, best and worst of the timed rounds) and bytes
     * allocated per operation in the median round.
     */
    public record Result(String name, double nanosPerOp, double bestNanosPerOp, double worstNanosPerOp,
                         double bytesPerOp, long operationsPerRound, int rounds) {
    }

    private PricingMicrobenchmarks() {
    }

    /** Lookup ns/op against {@code pricing}'s current snapshot, at event time {@code epochMillis}. */
    public static Result lookup(Pricing pricing, long epochMillis, int warmupRounds, int rounds, int opsPerRound) {
        return lookup(Objects.requireNonNull(pricing, "pricing").snapshot(), epochMillis, warmupRounds, rounds,
                opsPerRound);
    }

    static Result lookup(PriceSnapshot snapshot, long epochMillis, int warmupRounds, int rounds, int opsPerRound) {
        return measure("lookup", warmupRounds, rounds, opsPerRound, n -> lookups(snapshot, epochMillis, n));
    }

    /** Full {@link Pricing#priceEvent} ns/op for a cached, reasoning call on four real models. */
    public static Result fullCost(Pricing pricing, long epochMillis, int warmupRounds, int rounds, int opsPerRound) {
        Objects.requireNonNull(pricing, "pricing");
        return measure("full cost", warmupRounds, rounds, opsPerRound,
                n -> costs((model, at, usage) -> pricing.priceEvent(model, null, at, usage), epochMillis, n));
    }

    static Result fullCost(PriceSnapshot snapshot, long epochMillis, int warmupRounds, int rounds, int opsPerRound) {
        return measure("full cost", warmupRounds, rounds, opsPerRound,
                n -> costs((model, at, usage) -> CostCalculator.price(snapshot, model, null, at, usage), epochMillis, n));
    }

    private interface Pricer {
        PricedCost price(String model, long at, TokenUsage usage);
    }

    private interface Body {
        long run(int operations);
    }

    private static Result measure(String name, int warmupRounds, int rounds, int ops, Body body) {
        if (rounds < 1 || ops < 1 || warmupRounds < 0) {
            throw new IllegalArgumentException("rounds and ops must be positive, warm-up rounds not negative");
        }
        long sink = 0;
        for (int i = 0; i < warmupRounds; i++) {
            sink += body.run(ops);
        }
        double[] perOp = new double[rounds];
        double[] bytes = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            long allocated = THREADS.getCurrentThreadAllocatedBytes();
            long t0 = System.nanoTime();
            sink += body.run(ops);
            long elapsed = System.nanoTime() - t0;
            bytes[i] = (double) (THREADS.getCurrentThreadAllocatedBytes() - allocated) / ops;
            perOp[i] = (double) elapsed / ops;
        }
        Sink.value = sink;
        double[] sorted = perOp.clone();
        Arrays.sort(sorted);
        double median = sorted[rounds / 2];
        int medianRound = 0;
        for (int i = 0; i < rounds; i++) {
            if (perOp[i] == median) {
                medianRound = i;
            }
        }
        return new Result(name, median, sorted[0], sorted[rounds - 1], bytes[medianRound], ops, rounds);
    }

    private static long lookups(PriceSnapshot snapshot, long now, int n) {
        long sink = 0;
        for (int i = 0; i < n; i++) {
            int k = i & 7;
            int r = snapshot.resolve(LOOKUP_NAMES[k], LOOKUP_PROVIDERS[k]);
            if (r != PriceSnapshot.UNRESOLVED) {
                Segment s = snapshot.segment(r, now + i);
                sink += s == null ? 1 : s.to() & 3;
            }
        }
        return sink;
    }

    private static final TokenUsage USAGE = TokenUsage.of(12_000, 800).withCachedTokens(8_000).withThoughtsTokens(300);

    private static long costs(Pricer pricer, long now, int n) {
        long sink = 0;
        for (int i = 0; i < n; i++) {
            PricedCost c = pricer.price(PRICED_MODELS[i & 3], now, USAGE);
            sink += c.total() == null ? 1 : c.total().scale();
        }
        return sink;
    }

    /** Keeps results observable so the JIT cannot drop the measured work. */
    private static final class Sink {
        static volatile long value;
    }
}
