package dev.tokenledger.usage;

import java.math.BigDecimal;
import java.util.function.Function;

/**
 * The figures the ledger sums per day, and the one definition of each: its column in every rollup and in
 * PostgreSQL's written totals (the same name everywhere), how llm_usage's rows add up to it, and how one
 * written event contributes to it. Reconcile compares every one of them between PostgreSQL, llm_usage and
 * each rollup; a new rollup keeps these columns (see {@link Rollups}).
 */
public enum Measure {
    EVENTS("count()", p -> BigDecimal.ONE),
    UNPRICED_EVENTS("countIf(cost_status = 'unpriced')", p -> p.cost().total() == null ? BigDecimal.ONE : BigDecimal.ZERO),
    PROMPT_TOKENS("sum(prompt_tokens)", p -> tokens(p.event().promptTokens())),
    COMPLETION_TOKENS("sum(completion_tokens)", p -> tokens(p.event().completionTokens())),
    TOTAL_TOKENS("sum(total_tokens)", p -> tokens(p.event().totalTokens())),
    TOOL_USE_PROMPT_TOKENS("sum(tool_use_prompt_tokens)", p -> tokens(p.event().toolUsePromptTokens())),
    THOUGHTS_TOKENS("sum(thoughts_tokens)", p -> tokens(p.event().thoughtsTokens())),
    CACHED_TOKENS("sum(cached_tokens)", p -> tokens(p.event().cachedTokens())),
    CACHE_CREATION_TOKENS("sum(cache_creation_tokens + cache_creation_1h_tokens)",
            p -> tokens(p.event().cacheCreationTokens() + p.event().cacheCreation1hTokens())),
    AUDIO_TOKENS("sum(audio_prompt_tokens + audio_completion_tokens)",
            p -> tokens(p.event().audioPromptTokens() + p.event().audioCompletionTokens())),
    IMAGE_TOKENS("sum(image_prompt_tokens + image_completion_tokens)",
            p -> tokens(p.event().imagePromptTokens() + p.event().imageCompletionTokens())),
    WEB_SEARCH_REQUESTS("sum(web_search_requests)", p -> tokens(p.event().webSearchRequests())),
    IMAGES("sum(input_images + output_images)", p -> tokens(p.event().inputImages() + p.event().outputImages())),
    COST_USD(money("cost_usd"), p -> orZero(p.cost().total())),
    INPUT_COST(money("input_cost"), p -> orZero(p.cost().input())),
    CACHED_INPUT_COST(money("cached_input_cost"), p -> orZero(p.cost().cachedInput())),
    CACHE_CREATION_COST(money("cache_creation_cost"), p -> orZero(p.cost().cacheCreation())),
    OUTPUT_COST(money("output_cost"), p -> orZero(p.cost().output())),
    REASONING_COST(money("reasoning_cost"), p -> orZero(p.cost().reasoning())),
    AUDIO_COST(money("audio_cost"), p -> orZero(p.cost().audio())),
    TOOL_USE_COST(money("tool_use_cost"), p -> orZero(p.cost().toolUse())),
    IMAGE_COST(money("image_cost"), p -> orZero(p.cost().image())),
    WEB_SEARCH_COST(money("web_search_cost"), p -> orZero(p.cost().webSearch())),
    SECONDS_COST(money("seconds_cost"), p -> orZero(p.cost().seconds()));

    private final String rawAggregate;
    private final Function<PricedEvent, BigDecimal> ofEvent;

    Measure(String rawAggregate, Function<PricedEvent, BigDecimal> ofEvent) {
        this.rawAggregate = rawAggregate;
        this.ofEvent = ofEvent;
    }

    /**
     * How llm_usage_adjustment's rows add up to this figure: an adjustment moves costs and the unpriced count,
     * never events or tokens.
     */
    public String adjustmentAggregate() {
        if (this == UNPRICED_EVENTS) {
            return "sum(unpriced_delta)";
        }
        return isMoney() ? "sum(" + column() + ")" : "toInt64(0)";
    }

    /** Whether an adjustment can move this figure (costs and the unpriced count). */
    public boolean adjustable() {
        return this == UNPRICED_EVENTS || isMoney();
    }

    /** The column name, in every rollup and in usage_written_day / usage_written_replay. */
    public String column() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** How llm_usage's rows add up to this figure (the rollups' materialized views use the same expressions). */
    public String rawAggregate() {
        return rawAggregate;
    }

    /** What one written event adds to this figure. */
    BigDecimal of(PricedEvent event) {
        return ofEvent.apply(event);
    }

    /** Counts and tokens are whole numbers; costs are USD at scale 12. */
    public boolean isMoney() {
        return rawAggregate.startsWith("sum(ifNull(");
    }

    private static String money(String column) {
        return "sum(ifNull(" + column + ", toDecimal128(0, 12)))";
    }

    private static BigDecimal tokens(long n) {
        return BigDecimal.valueOf(n);
    }

    private static BigDecimal orZero(BigDecimal v) {
        return v == null ? BigDecimal.ZERO : v;
    }
}
