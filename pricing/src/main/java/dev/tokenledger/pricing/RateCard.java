package dev.tokenledger.pricing;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every rate a price row can apply, resolved once when the snapshot is built so that pricing an event
 * is an array lookup: one {@link Rates} per service tier and context tier.
 *
 * <h2>Context tiers</h2>
 * <ul>
 *   <li>{@code *_above_Nk_tokens} keys: the model's thresholds are the N of its
 *       {@code input_cost_per_token_above_N_tokens} keys. Once {@code promptTokens} exceeds N
 *       ({@code > N}: exactly N is still the base rate, N+1 is the tier), every rate of the request uses
 *       the tier's key where the model has one (input, output, cache read, cache write 5m and 1h), as
 *       LiteLLM does. With several thresholds the highest exceeded wins. For provider {@code xai}, as in
 *       LiteLLM, the tier starts at N itself ({@code >= N}).</li>
 *   <li>{@code tiered_pricing}, LiteLLM's range table: the tier whose range has {@code start < promptTokens
 *       <= end} prices the whole request (above every range: the last tier; 0 prompt tokens: the first);
 *       a rate the tier lacks falls back to the tier's input rate (cache read and write) or to the model's
 *       output rate (output). It takes precedence over {@code _above_} keys.</li>
 * </ul>
 *
 * <h2>Rate of each component, first key present wins (S = service tier suffix, T = context tier)</h2>
 * The standard rates (no S):
 * <ul>
 *   <li>input: {@code input_cost_per_token_above_T_tokens}, {@code input_cost_per_token}</li>
 *   <li>output: the same chain on {@code output_cost_per_token}</li>
 *   <li>cache read: the chain on {@code cache_read_input_token_cost}, then {@code input_cost_per_token_cache_hit},
 *       then, for a Claude model, 0.1 × input (Anthropic: "cache hits ... 0.1x base input"), else the input rate
 *       (no discount assumed: never free)</li>
 *   <li>cache write 5m: the chain on {@code cache_creation_input_token_cost}, then, for a Claude model,
 *       1.25 × input (Anthropic's 5-minute write), else the input rate</li>
 *   <li>cache write 1h: the chain on {@code cache_creation_input_token_cost_above_1hr}, then, for a Claude model,
 *       2 × input (Anthropic: "1h cache writes: 2x base input"; most Claude entries of the feed list no 1-hour
 *       key, and LiteLLM then bills those writes at $0); for any other model none: 1-hour writes unpriced</li>
 *   <li>reasoning: {@code output_cost_per_reasoning_token}, then the output rate</li>
 *   <li>audio: {@code input_cost_per_audio_token}, then the input rate (and {@code output_cost_per_audio_token},
 *       then the output rate)</li>
 * </ul>
 * A service tier's rates: each component's own tier key ({@code X_above_T_tokens_S}, unless the model prices the
 * context tier without S; then {@code X_S}), else the standard rate, derived as above from the tier's input and
 * output. Reasoning: {@code output_cost_per_reasoning_token_S}, then, for a tier the model prices, the tier's
 * output rate (as LiteLLM). Where the model lists no {@code input_cost_per_token_S} and no
 * {@code output_cost_per_token_S}, it has no rates of the tier: standard rates, flagged
 * ({@link Rates#serviceTierPriced()} false), with one documented exception below.
 *
 * <h2>Batch</h2>
 * Every provider that bills a batch tier bills all of a batch call at half its standard rates, cache reads and
 * writes included (Anthropic: "All usage is charged at 50% of standard API prices"; OpenAI, Gemini, Vertex AI,
 * Azure, Bedrock: 50% off input and output). The feed lists {@code _batches} keys for input and output only. So
 * on the batch tier a component without its own {@code _batches} key costs 0.5 × its standard rate, for a model
 * with a {@code _batches} key and for every Claude model (Anthropic's rule covers all of them; no Claude entry of
 * Anthropic's own lists {@code _batches} keys). LiteLLM instead bills every prompt token, cached or not, at
 * {@code input_cost_per_token_batches}.
 *
 * <h2>Image tokens</h2>
 * Image input tokens: {@code input_cost_per_image_token} (with the tier's and batch's rules above), else the input
 * rate; image output tokens: {@code output_cost_per_image_token}, else the output rate. This is LiteLLM's rule, and
 * the providers': OpenAI bills image inputs of its chat models as input tokens. What is billed per image, per web
 * search or per second is in {@link UnitRates}.
 */
final class RateCard {
    private static final Pattern THRESHOLD_KEY = Pattern.compile("input_cost_per_token_above_(\\d+)(k?)_tokens");
    private static final Pattern TIER_FIELD = Pattern.compile("tiered_pricing\\.(\\d+)\\.(.+)");
    private static final ServiceTier[] TIERS = ServiceTier.values();
    /** What a batch call pays of a component's standard rate (see "Batch" above). */
    static final BigDecimal BATCH_DISCOUNT = new BigDecimal("0.5");
    /** Anthropic's cache multipliers of the base input rate: read 0.1, 5-minute write 1.25, 1-hour write 2. */
    static final BigDecimal CLAUDE_CACHE_READ = new BigDecimal("0.1");
    static final BigDecimal CLAUDE_CACHE_WRITE_5M = new BigDecimal("1.25");
    static final BigDecimal CLAUDE_CACHE_WRITE_1H = new BigDecimal("2");

    private final long[] thresholds;  // ascending; level i+1 applies above thresholds[i]
    private final boolean inclusive;  // xai: level applies at the threshold itself
    private final long[] rangeStarts; // tiered_pricing ranges, sorted by start; null when not range-tiered
    private final long[] rangeEnds;
    private final String[] levelNames; // null for the base level
    private final Rates[][] rates;     // [service tier ordinal][level]
    private final UnitRates units;

    private RateCard(long[] thresholds, boolean inclusive, long[] rangeStarts, long[] rangeEnds,
                     String[] levelNames, Rates[][] rates, UnitRates units) {
        this.units = units;
        this.thresholds = thresholds;
        this.inclusive = inclusive;
        this.rangeStarts = rangeStarts;
        this.rangeEnds = rangeEnds;
        this.levelNames = levelNames;
        this.rates = rates;
    }

    /** The context tier that applies to a request with this many prompt tokens. */
    int level(long promptTokens) {
        if (rangeStarts != null) {
            for (int i = 0; i < rangeStarts.length; i++) {
                if (rangeStarts[i] < promptTokens && promptTokens <= rangeEnds[i]) {
                    return i;
                }
            }
            return promptTokens <= 0 ? 0 : rangeStarts.length - 1;
        }
        int level = 0;
        for (int i = 0; i < thresholds.length; i++) {
            if (promptTokens > thresholds[i] || (inclusive && promptTokens == thresholds[i])) {
                level = i + 1;
            }
        }
        return level;
    }

    /** The rates of what a call is billed for besides tokens, and the regional uplifts. */
    UnitRates units() {
        return units;
    }

    Rates rates(ServiceTier tier, int level) {
        return rates[tier.ordinal()][level];
    }

    /** How the context tier is named in a {@link PricedCost}: null for base rates. */
    String levelName(int level) {
        return levelNames[level];
    }

    static RateCard of(String modelKey, Map<String, BigDecimal> costs, String provider) {
        boolean claude = isClaude(modelKey);
        List<Map<String, BigDecimal>> ranged = rangeTiers(costs);
        if (!ranged.isEmpty()) {
            return rangeTiered(costs, ranged);
        }
        TreeMap<Long, String> found = new TreeMap<>();
        for (String key : costs.keySet()) {
            Matcher m = THRESHOLD_KEY.matcher(key);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1)) * (m.group(2).isEmpty() ? 1 : 1000);
                found.put(n, m.group(1) + m.group(2));
            }
        }
        int levels = found.size() + 1;
        long[] thresholds = new long[found.size()];
        String[] names = new String[levels];
        String[] tokens = new String[levels];
        int i = 0;
        for (Map.Entry<Long, String> e : found.entrySet()) {
            thresholds[i] = e.getKey();
            tokens[i + 1] = e.getValue();
            names[i + 1] = "above_" + e.getValue() + "_tokens";
            i++;
        }
        Rates[][] rates = new Rates[TIERS.length][levels];
        for (ServiceTier tier : TIERS) {
            for (int level = 0; level < levels; level++) {
                rates[tier.ordinal()][level] = keyed(costs, tier, tokens[level], claude);
            }
        }
        boolean inclusive = provider != null && provider.toLowerCase(Locale.ROOT).equals("xai");
        return new RateCard(thresholds, inclusive, null, null, names, rates, UnitRates.of(costs));
    }

    /** Whether a price book key names one of Anthropic's Claude models, on any platform that serves it. */
    static boolean isClaude(String modelKey) {
        return modelKey != null && modelKey.toLowerCase(Locale.ROOT).contains("claude");
    }

    private static Rates keyed(Map<String, BigDecimal> c, ServiceTier tier, String t, boolean claude) {
        String s = tier.keySuffix();
        boolean listed = !s.isEmpty()
                && (c.get("input_cost_per_token" + s) != null || c.get("output_cost_per_token" + s) != null);
        // The multiplier of the standard rate for a component without its own key of the tier (null: none).
        BigDecimal factor = tier == ServiceTier.BATCH && (listed || claude) ? BATCH_DISCOUNT : null;
        boolean tierPriced = s.isEmpty() || listed || factor != null;
        if (!tierPriced) {
            s = ""; // the model has no rates of the tier: its standard ones, flagged
        }
        BigDecimal input = ofTier(c, "input_cost_per_token", s, t, factor);
        BigDecimal output = ofTier(c, "output_cost_per_token", s, t, factor);
        BigDecimal cacheRead = first(ofTier(c, "cache_read_input_token_cost", s, t, factor),
                times(c.get("input_cost_per_token_cache_hit"), factor), claude ? times(input, CLAUDE_CACHE_READ) : input);
        BigDecimal write5m = first(ofTier(c, "cache_creation_input_token_cost", s, t, factor),
                claude ? times(input, CLAUDE_CACHE_WRITE_5M) : input);
        BigDecimal write1h = first(ofTier(c, "cache_creation_input_token_cost_above_1hr", s, t, factor),
                claude ? times(input, CLAUDE_CACHE_WRITE_1H) : null);
        BigDecimal reasoning = s.isEmpty() ? null : c.get("output_cost_per_reasoning_token" + s);
        if (reasoning == null && listed && c.get("output_cost_per_token" + s) != null) {
            reasoning = output;
        }
        reasoning = first(reasoning, times(c.get("output_cost_per_reasoning_token"), factor), output);
        BigDecimal audioIn = first(s.isEmpty() ? null : c.get("input_cost_per_audio_token" + s),
                times(c.get("input_cost_per_audio_token"), factor), input);
        BigDecimal audioOut = first(s.isEmpty() ? null : c.get("output_cost_per_audio_token" + s),
                times(c.get("output_cost_per_audio_token"), factor), output);
        // Image tokens (LiteLLM's _calculate_input_cost / image output tokens): their own key, else the text rate.
        BigDecimal imageIn = first(ofTier(c, "input_cost_per_image_token", s, t, factor), input);
        BigDecimal imageOut = first(ofTier(c, "output_cost_per_image_token", s, t, factor), output);
        return new Rates(input, cacheRead, write5m, write1h, output, reasoning, audioIn, audioOut, imageIn, imageOut,
                tierPriced);
    }

    /**
     * A component's rate on a tier at a context level: its own key of the tier, else its standard rate times
     * {@code factor} (when not null); null when the model lists neither.
     */
    private static BigDecimal ofTier(Map<String, BigDecimal> c, String base, String s, String t, BigDecimal factor) {
        if (!s.isEmpty()) {
            BigDecimal own = ownKey(c, base, s, t);
            if (own != null) {
                return own;
            }
        }
        return times(chain(c, base, t), factor);
    }

    /**
     * A component's key of the tier itself: {@code base_above_T_tokens_S}, or, when the model prices the context
     * level without the tier, none; else {@code base_S}.
     */
    private static BigDecimal ownKey(Map<String, BigDecimal> c, String base, String s, String t) {
        if (t != null) {
            String tiered = base + "_above_" + t + "_tokens";
            BigDecimal v = c.get(tiered + s);
            if (v != null || c.get(tiered) != null) {
                return v;
            }
        }
        return c.get(base + s);
    }

    private static BigDecimal times(BigDecimal rate, BigDecimal factor) {
        return rate == null || factor == null ? rate : rate.multiply(factor);
    }

    /** {@code base_above_T_tokens}, then {@code base}: the first present. */
    private static BigDecimal chain(Map<String, BigDecimal> c, String base, String t) {
        if (t != null) {
            BigDecimal v = c.get(base + "_above_" + t + "_tokens");
            if (v != null) {
                return v;
            }
        }
        return c.get(base);
    }

    private static BigDecimal first(BigDecimal... candidates) {
        for (BigDecimal candidate : candidates) {
            if (candidate != null) {
                return candidate;
            }
        }
        return null;
    }

    /** The {@code tiered_pricing.i.*} keys grouped per tier, keeping only tiers with a range and an input rate. */
    private static List<Map<String, BigDecimal>> rangeTiers(Map<String, BigDecimal> costs) {
        TreeMap<Integer, Map<String, BigDecimal>> tiers = new TreeMap<>();
        for (Map.Entry<String, BigDecimal> e : costs.entrySet()) {
            if (e.getKey().startsWith(CatalogParser.TIERED_PRICING + ".")) {
                Matcher m = TIER_FIELD.matcher(e.getKey());
                if (m.matches()) {
                    tiers.computeIfAbsent(Integer.parseInt(m.group(1)), k -> new TreeMap<>())
                            .put(m.group(2), e.getValue());
                }
            }
        }
        List<Map<String, BigDecimal>> valid = new ArrayList<>();
        for (Map<String, BigDecimal> tier : tiers.values()) {
            if (tier.containsKey("range.0") && tier.containsKey("range.1") && !tier.containsKey("range.2")
                    && tier.containsKey("input_cost_per_token")) {
                valid.add(tier);
            }
        }
        valid.sort((a, b) -> a.get("range.0").compareTo(b.get("range.0")));
        return valid;
    }

    private static RateCard rangeTiered(Map<String, BigDecimal> costs, List<Map<String, BigDecimal>> tiers) {
        int n = tiers.size();
        long[] starts = new long[n];
        long[] ends = new long[n];
        String[] names = new String[n];
        Rates[][] rates = new Rates[TIERS.length][n];
        for (int i = 0; i < n; i++) {
            Map<String, BigDecimal> t = tiers.get(i);
            starts[i] = saturatedLong(t.get("range.0"));
            ends[i] = saturatedLong(t.get("range.1"));
            names[i] = "tiered_pricing[" + Json.canonical(t.get("range.0")) + ", " + Json.canonical(t.get("range.1"))
                    + "]";
            BigDecimal input = t.get("input_cost_per_token");
            BigDecimal output = first(t.get("output_cost_per_token"), costs.get("output_cost_per_token"));
            BigDecimal write5m = first(t.get("cache_creation_input_token_cost"), input);
            Rates standard = new Rates(input,
                    first(t.get("cache_read_input_token_cost"), input),
                    write5m,
                    first(t.get("cache_creation_input_token_cost_above_1hr"), write5m),
                    output,
                    first(t.get("output_cost_per_reasoning_token"), output),
                    first(costs.get("input_cost_per_audio_token"), input),
                    first(costs.get("output_cost_per_audio_token"), output),
                    first(costs.get("input_cost_per_image_token"), input),
                    first(costs.get("output_cost_per_image_token"), output),
                    true);
            Rates untiered = new Rates(standard.input(), standard.cacheRead(), standard.cacheWrite5m(),
                    standard.cacheWrite1h(), standard.output(), standard.reasoning(), standard.audioInput(),
                    standard.audioOutput(), standard.imageInput(), standard.imageOutput(), false);
            for (ServiceTier tier : TIERS) {
                rates[tier.ordinal()][i] = tier == ServiceTier.STANDARD ? standard : untiered;
            }
        }
        return new RateCard(new long[0], false, starts, ends, names, rates, UnitRates.of(costs));
    }

    private static long saturatedLong(BigDecimal v) {
        return v.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : v.longValue();
    }
}
