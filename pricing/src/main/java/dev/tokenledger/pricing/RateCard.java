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
 * <ul>
 *   <li>input: {@code input_cost_per_token_above_T_tokens_S}, {@code ..._above_T_tokens},
 *       {@code input_cost_per_token_S}, {@code input_cost_per_token}</li>
 *   <li>output: the same chain on {@code output_cost_per_token}</li>
 *   <li>cache read: the chain on {@code cache_read_input_token_cost}, then
 *       {@code input_cost_per_token_cache_hit}, then the input rate (no discount assumed: never free)</li>
 *   <li>cache write 5m: the chain on {@code cache_creation_input_token_cost}, then the input rate</li>
 *   <li>cache write 1h: the chain on {@code cache_creation_input_token_cost_above_1hr}, then the 5m rate</li>
 *   <li>reasoning: {@code output_cost_per_reasoning_token_S}; for a tier the model prices, the tier's output
 *       rate; then {@code output_cost_per_reasoning_token}; then the output rate</li>
 *   <li>audio: {@code input_cost_per_audio_token_S}, {@code input_cost_per_audio_token}, then the input rate
 *       (and {@code output_cost_per_audio_token...}, then the output rate)</li>
 * </ul>
 * A service tier the model has no {@code input_cost_per_token_S}/{@code output_cost_per_token_S} for is
 * priced at standard rates and flagged ({@link Rates#serviceTierPriced()} false).
 */
final class RateCard {
    private static final Pattern THRESHOLD_KEY = Pattern.compile("input_cost_per_token_above_(\\d+)(k?)_tokens");
    private static final Pattern TIER_FIELD = Pattern.compile("tiered_pricing\\.(\\d+)\\.(.+)");
    private static final ServiceTier[] TIERS = ServiceTier.values();

    private final long[] thresholds;  // ascending; level i+1 applies above thresholds[i]
    private final boolean inclusive;  // xai: level applies at the threshold itself
    private final long[] rangeStarts; // tiered_pricing ranges, sorted by start; null when not range-tiered
    private final long[] rangeEnds;
    private final String[] levelNames; // null for the base level
    private final Rates[][] rates;     // [service tier ordinal][level]

    private RateCard(long[] thresholds, boolean inclusive, long[] rangeStarts, long[] rangeEnds,
                     String[] levelNames, Rates[][] rates) {
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

    Rates rates(ServiceTier tier, int level) {
        return rates[tier.ordinal()][level];
    }

    /** How the context tier is named in a {@link PricedCost}: null for base rates. */
    String levelName(int level) {
        return levelNames[level];
    }

    static RateCard of(Map<String, BigDecimal> costs, String provider) {
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
                rates[tier.ordinal()][level] = keyed(costs, tier.keySuffix(), tokens[level]);
            }
        }
        boolean inclusive = provider != null && provider.toLowerCase(Locale.ROOT).equals("xai");
        return new RateCard(thresholds, inclusive, null, null, names, rates);
    }

    private static Rates keyed(Map<String, BigDecimal> c, String s, String t) {
        BigDecimal input = chain(c, "input_cost_per_token", s, t);
        BigDecimal output = chain(c, "output_cost_per_token", s, t);
        BigDecimal cacheRead = first(chain(c, "cache_read_input_token_cost", s, t),
                c.get("input_cost_per_token_cache_hit"), input);
        BigDecimal write5m = first(chain(c, "cache_creation_input_token_cost", s, t), input);
        BigDecimal write1h = first(chain(c, "cache_creation_input_token_cost_above_1hr", s, t), write5m);
        boolean tierPriced = s.isEmpty()
                || c.get("input_cost_per_token" + s) != null || c.get("output_cost_per_token" + s) != null;
        BigDecimal reasoning = s.isEmpty() ? null : c.get("output_cost_per_reasoning_token" + s);
        if (reasoning == null && !s.isEmpty() && c.get("output_cost_per_token" + s) != null) {
            reasoning = output;
        }
        reasoning = first(reasoning, c.get("output_cost_per_reasoning_token"), output);
        BigDecimal audioIn = first(s.isEmpty() ? null : c.get("input_cost_per_audio_token" + s),
                c.get("input_cost_per_audio_token"), input);
        BigDecimal audioOut = first(s.isEmpty() ? null : c.get("output_cost_per_audio_token" + s),
                c.get("output_cost_per_audio_token"), output);
        return new Rates(input, cacheRead, write5m, write1h, output, reasoning, audioIn, audioOut, tierPriced);
    }

    /** {@code base_above_T_tokens_S}, {@code base_above_T_tokens}, {@code base_S}, {@code base}: the first present. */
    private static BigDecimal chain(Map<String, BigDecimal> c, String base, String s, String t) {
        if (t != null) {
            String tiered = base + "_above_" + t + "_tokens";
            BigDecimal v = first(s.isEmpty() ? null : c.get(tiered + s), c.get(tiered));
            if (v != null) {
                return v;
            }
        }
        return first(s.isEmpty() ? null : c.get(base + s), c.get(base));
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
                    true);
            Rates untiered = new Rates(standard.input(), standard.cacheRead(), standard.cacheWrite5m(),
                    standard.cacheWrite1h(), standard.output(), standard.reasoning(), standard.audioInput(),
                    standard.audioOutput(), false);
            for (ServiceTier tier : TIERS) {
                rates[tier.ordinal()][i] = tier == ServiceTier.STANDARD ? standard : untiered;
            }
        }
        return new RateCard(new long[0], false, starts, ends, names, rates);
    }

    private static long saturatedLong(BigDecimal v) {
        return v.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : v.longValue();
    }
}
