package dev.tokenledger.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

class OverridesTest {
    private static final Instant LOADED = Instant.parse("2026-07-25T00:00:00Z");
    private static final Instant CONTRACT = Instant.parse("2026-08-01T00:00:00Z");
    private static final Instant RENEWAL = Instant.parse("2026-09-01T00:00:00Z");
    private static final TokenUsage USAGE = TokenUsage.of(1_000, 100);

    @TempDir
    Path dir;

    private TestBook book;

    @BeforeEach
    void aBookWithTwoRealModels(TestInfo test) {
        book = TestBook.fresh(test.getTestMethod().orElseThrow().getName(), LOADED, s -> s.withMinModels(0));
        book.pricing.refresh(TestFeeds.file(dir, "two.json",
                TestFeeds.subset(TestFeeds.JUL, "gpt-4o", "claude-sonnet-4-5")));
    }

    @AfterEach
    void close() {
        book.close();
    }

    private static BigDecimal times(String rate, long tokens) {
        return new BigDecimal(rate).multiply(BigDecimal.valueOf(tokens));
    }

    @Test
    void anOverrideReplacesOnlyItsKeysAndOnlyWithinItsWindow() {
        PriceOverride discount = book.pricing.setOverride(new OverrideRequest("gpt-4o", null, CONTRACT,
                Map.of("input_cost_per_token", new BigDecimal("0.000002")), "negotiated discount"));

        PricedCost before = book.price("gpt-4o", "openai", CONTRACT.minusMillis(1), USAGE);
        PricedCost during = book.price("gpt-4o", "openai", CONTRACT, USAGE);

        assertThat(before.status()).isEqualTo(CostStatus.PRICED);
        assertThat(before.overrideId()).isNull();
        assertThat(before.total()).isEqualByComparingTo(times("0.0000025", 1_000).add(times("0.00001", 100)));
        assertThat(during.status()).isEqualTo(CostStatus.OVERRIDE);
        assertThat(during.overrideId()).isEqualTo(discount.id());
        assertThat(during.priceRowId()).isEqualTo(before.priceRowId());
        // input from the override, output still from the feed
        assertThat(during.total()).isEqualByComparingTo(times("0.000002", 1_000).add(times("0.00001", 100)));
    }

    @Test
    void aNewOverrideClosesTheOpenOneAtItsStart() {
        PriceOverride first = book.pricing.setOverride(new OverrideRequest("gpt-4o", null, CONTRACT,
                Map.of("input_cost_per_token", new BigDecimal("0.000002")), "contract 2026"));
        PriceOverride second = book.pricing.setOverride(new OverrideRequest("gpt-4o", null, RENEWAL,
                Map.of("input_cost_per_token", new BigDecimal("0.0000015")), "renewal"));

        assertThat(book.pricing.overrides()).extracting(PriceOverride::id, PriceOverride::validFrom, PriceOverride::validTo)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(first.id(), CONTRACT, RENEWAL),
                        org.assertj.core.groups.Tuple.tuple(second.id(), RENEWAL, null));
        assertThat(book.price("gpt-4o", "openai", RENEWAL.minusMillis(1), USAGE).overrideId()).isEqualTo(first.id());
        assertThat(book.price("gpt-4o", "openai", RENEWAL, USAGE).overrideId()).isEqualTo(second.id());
        assertThat(book.pricing.history("gpt-4o").overrides()).hasSize(2);
    }

    @Test
    void aPrivateModelIsPricedFromItsOverrideAlone() {
        PriceOverride custom = book.pricing.setOverride(new OverrideRequest("acme/support-bot-ft", "acme", CONTRACT,
                Map.of("input_cost_per_token", new BigDecimal("0.000004"),
                        "output_cost_per_token", new BigDecimal("0.000016")), "fine-tuned deployment"));

        PricedCost priced = book.price("acme/support-bot-ft", null, CONTRACT.plusSeconds(60), USAGE);
        PricedCost tooEarly = book.price("acme/support-bot-ft", null, CONTRACT.minusSeconds(60), USAGE);

        assertThat(priced.status()).isEqualTo(CostStatus.OVERRIDE);
        assertThat(priced.priceRowId()).isNull();
        assertThat(priced.overrideId()).isEqualTo(custom.id());
        assertThat(priced.total()).isEqualByComparingTo(times("0.000004", 1_000).add(times("0.000016", 100)));
        assertThat(tooEarly.status()).isEqualTo(CostStatus.UNPRICED);
        assertThat(tooEarly.reason()).contains("no price valid at 2026-07-31T23:59:00Z");
    }

    @Test
    void endingAnOverrideReturnsTheModelToTheFeedPrice() {
        book.pricing.setOverride(new OverrideRequest("gpt-4o", null, CONTRACT,
                Map.of("output_cost_per_token", new BigDecimal("0.000008")), "promo"));

        PriceOverride ended = book.pricing.endOverride("gpt-4o", RENEWAL).orElseThrow();

        assertThat(ended.validTo()).isEqualTo(RENEWAL);
        assertThat(book.price("gpt-4o", "openai", RENEWAL, USAGE).status()).isEqualTo(CostStatus.PRICED);
        assertThat(book.pricing.endOverride("gpt-4o", RENEWAL.plusSeconds(1))).isEmpty();
    }

    @Test
    void overlappingOrMalformedOverridesAreRejected() {
        book.pricing.setOverride(new OverrideRequest("gpt-4o", null, RENEWAL,
                Map.of("input_cost_per_token", new BigDecimal("0.000002")), "renewal"));

        assertThatThrownBy(() -> book.pricing.setOverride(new OverrideRequest("gpt-4o", null, CONTRACT,
                Map.of("input_cost_per_token", BigDecimal.ONE), "backdated")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must start after it");
        assertThatThrownBy(() -> new OverrideRequest("gpt-4o", null, null, Map.of("price", BigDecimal.ONE), "x"))
                .hasMessageContaining("'price' is not a LiteLLM cost key");
        assertThatThrownBy(() -> new OverrideRequest("gpt-4o", null, null,
                Map.of("input_cost_per_token", new BigDecimal("-1")), "x")).hasMessageContaining("must be >= 0");
        assertThatThrownBy(() -> new OverrideRequest("gpt-4o", null, null,
                Map.of("input_cost_per_token", BigDecimal.ONE), " ")).hasMessageContaining("note is required");
    }

    @Test
    void anOverrideWithoutAStartAppliesFromNow() {
        book.clock.set(CONTRACT);

        PriceOverride now = book.pricing.setOverride(new OverrideRequest("claude-sonnet-4-5", null, null,
                Map.of("cache_read_input_token_cost", new BigDecimal("0.0000002")), "cache discount"));

        assertThat(now.validFrom()).isEqualTo(CONTRACT);
        assertThat(book.price("claude-sonnet-4-5", "anthropic", CONTRACT, TokenUsage.of(1000, 0).withCachedTokens(1000))
                .total()).isEqualByComparingTo(times("0.0000002", 1000));
    }
}
