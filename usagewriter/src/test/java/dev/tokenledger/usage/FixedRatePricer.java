package dev.tokenledger.usage;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * A deterministic stand-in for the price book in tests whose point is the writing logic above it:
 * gpt-4o style rates for every model except "unknown-*" models, which stay unpriced.
 */
public final class FixedRatePricer implements EventPricer {
    static final BigDecimal INPUT = new BigDecimal("0.0000025");
    static final BigDecimal CACHED = new BigDecimal("0.00000125");
    static final BigDecimal OUTPUT = new BigDecimal("0.00001");

    private final BigDecimal factor;

    public FixedRatePricer() {
        this(BigDecimal.ONE);
    }

    /** The same rates times {@code factor}: a price change, for reprice tests. */
    public FixedRatePricer(BigDecimal factor) {
        this.factor = factor;
    }

    @Override
    public EventCost price(UsageEvent e) {
        if (e.model().startsWith("unknown")) {
            return EventCost.unpriced(new EventCost.Basis("", "unknown_model", ""));
        }
        BigDecimal input = INPUT.multiply(factor).multiply(BigDecimal.valueOf(e.promptTokens() - e.cachedTokens()))
                .setScale(12, RoundingMode.HALF_EVEN);
        BigDecimal cached = CACHED.multiply(factor).multiply(BigDecimal.valueOf(e.cachedTokens()))
                .setScale(12, RoundingMode.HALF_EVEN);
        BigDecimal output = OUTPUT.multiply(factor).multiply(BigDecimal.valueOf(e.completionTokens()))
                .setScale(12, RoundingMode.HALF_EVEN);
        BigDecimal zero = BigDecimal.ZERO.setScale(12);
        return new EventCost(EventCost.Status.PRICED, input, cached, zero, output, zero, zero, zero, zero, zero, zero,
                input.add(cached).add(output), e.model(), 1, 0, new EventCost.Basis("exact", "", ""));
    }
}
