package dev.tokenledger.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * For random token mixes on every model of the bundled LiteLLM file, at every service tier name: a priced call's
 * components are never negative and add up to its total exactly, and a call with tokens costs exactly $0 only
 * where the feed itself prices something at 0; an unpriced one says why and has no cost at all.
 */
class CostPropertiesTest {
    private static final Catalog CATALOG = load();
    private static final PriceSnapshot SNAPSHOT = PriceSnapshot.of(CATALOG);
    private static final List<String> MODELS = List.copyOf(CATALOG.entries().keySet());
    private static final List<String> TIER_NAMES = List.of("", "standard", "default", "auto", "scale", "batch",
            "priority", "fast", "flex", "ON_DEMAND_PRIORITY", "ultrafast", "something-new");

    private static Catalog load() {
        try (InputStream in = CostPropertiesTest.class.getClassLoader().getResourceAsStream(FeedSource.Bundled.RESOURCE)) {
            return CatalogParser.parse(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (FeedFormatException e) {
            throw new IllegalStateException(e);
        }
    }

    @Property(tries = 5000)
    void componentsAreNonNegativeAndAddUpAndNoCallWithTokensIsFreeUnlessTheFeedSaysSo(
            @ForAll("models") String model, @ForAll("usages") TokenUsage usage) {
        PricedCost cost = CostCalculator.price(SNAPSHOT, model, null, 1_785_000_000_000L, usage);

        if (!cost.isPriced()) {
            assertThat(cost.total()).isNull();
            assertThat(cost.components()).isNull();
            assertThat(cost.unpricedReason()).isNotNull();
            assertThat(cost.reason()).isNotBlank();
            return;
        }
        CostComponents c = cost.components();
        List<BigDecimal> parts = List.of(c.input(), c.cachedInput(), c.cacheCreation(), c.cacheCreation1h(), c.output(),
                c.reasoning(), c.audioInput(), c.audioOutput(), c.toolUsePrompt(), c.imageInput(), c.imageOutput(),
                c.images(), c.webSearch(), c.seconds());
        assertThat(parts).allSatisfy(p -> assertThat(p.signum()).isNotNegative());
        assertThat(cost.total()).isEqualTo(c.sum());
        assertThat(cost.total().scale()).isEqualTo(CostCalculator.SCALE);
        long tokens = usage.promptTokens() + usage.completionTokens() + usage.toolUsePromptTokens();
        if ((tokens > 0 || usage.extras().any()) && cost.total().signum() == 0) {
            assertThat(CATALOG.entries().get(cost.modelKey()).costs().values())
                    .as("%s costs $0 for %s: only a rate of 0 in the feed may do that", model, usage)
                    .anySatisfy(rate -> assertThat(rate.signum()).isZero());
        }
    }

    @Provide
    Arbitrary<String> models() {
        return Arbitraries.of(MODELS);
    }

    @Provide
    Arbitrary<TokenUsage> usages() {
        Arbitrary<Long> n = Arbitraries.oneOf(Arbitraries.longs().between(0, 50),
                Arbitraries.longs().between(0, 400_000));
        Arbitrary<Long> few = Arbitraries.oneOf(Arbitraries.just(0L), Arbitraries.longs().between(0, 20));
        Arbitrary<BigDecimal> seconds = Arbitraries.oneOf(Arbitraries.just(BigDecimal.ZERO),
                Arbitraries.bigDecimals().between(BigDecimal.ZERO, new BigDecimal("7200")).ofScale(3));
        // Mostly none: then the call is priced by its tokens alone and every model is exercised.
        Arbitrary<BilledExtras> extras = Arbitraries.oneOf(Arbitraries.just(BilledExtras.NONE),
                Combinators.combine(few, few, few, seconds, seconds, seconds, seconds,
                        Arbitraries.of("", "us", "eu", "global", "EU")).as(BilledExtras::new));
        Arbitrary<long[]> images = Combinators.combine(n, n).as((p, c) -> new long[] {p, c});
        return Combinators.combine(tokenUsages(n), images, extras).as((u, img, x) -> {
            long ip = Math.min(img[0], u.textPromptTokens());
            long ic = Math.min(img[1], u.textCompletionTokens());
            return u.withImageTokens(ip, ic).withExtras(x);
        });
    }

    private static Arbitrary<TokenUsage> tokenUsages(Arbitrary<Long> n) {
        return Combinators.combine(n, n, n, n, n, n, n, Arbitraries.of(TIER_NAMES)).as(
                (prompt, completion, cached, write, write1h, audio, thoughts, tier) -> {
                    // Parts are cut from their container so that every mix is a valid call.
                    long c = Math.min(cached, prompt);
                    long w = Math.min(write, prompt - c);
                    long w1 = Math.min(write1h, prompt - c - w);
                    long a = Math.min(audio, prompt - c - w - w1);
                    long t = Math.min(thoughts, completion);
                    long toolUse = write1h % 300; // Gemini's extra input, outside the prompt
                    return new TokenUsage(prompt, completion, c, w, w1, a, t, 0, toolUse, ServiceTier.of(tier));
                });
    }
}
