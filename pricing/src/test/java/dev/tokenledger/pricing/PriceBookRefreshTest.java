package dev.tokenledger.pricing;

import static dev.tokenledger.postgres.schema.Tables.MODEL_PRICING;
import static dev.tokenledger.postgres.schema.Tables.PRICING_REFRESH_LOG;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

class PriceBookRefreshTest {
    private static final Instant FEB_REFRESH = Instant.parse("2026-03-01T03:17:00Z");
    private static final Instant JUL_REFRESH = Instant.parse("2026-07-25T03:17:00Z");

    @TempDir
    Path dir;

    private TestBook book;
    private DSLContext sql;
    private MutableClock clock;
    private Pricing pricing;

    @BeforeEach
    void freshDatabase(TestInfo test) {
        book = TestBook.fresh(test.getTestMethod().orElseThrow().getName(), FEB_REFRESH);
        sql = book.sql;
        clock = book.clock;
        pricing = book.pricing;
    }

    @AfterEach
    void close() {
        book.close();
    }

    @Test
    void firstFeedOpensEveryModelFromMinusInfinity() {
        RefreshResult result = pricing.refresh(TestFeeds.file(dir, TestFeeds.FEB));

        assertThat(result.outcome()).isEqualTo(RefreshOutcome.APPLIED);
        assertThat(result.modelsInFeed()).isEqualTo(2609);
        assertThat(result.added()).isEqualTo(2609);
        assertThat(result.skipped()).isZero();
        assertThat(sql.fetchCount(MODEL_PRICING)).isEqualTo(2609);
        assertThat(sql.fetchCount(MODEL_PRICING, MODEL_PRICING.VALID_FROM.ne(Times.MINUS_INFINITY))).isZero();
        assertThat(pricing.modelCount()).isEqualTo(2609);
        // The first price known also prices events from before tokenledger learned it.
        PricedCost early = pricing.priceEvent("gpt-4o", "openai", Instant.parse("2020-01-01T00:00:00Z").toEpochMilli(),
                TokenUsage.of(1000, 0));
        assertThat(early.total()).isEqualByComparingTo(new BigDecimal("0.0000025").multiply(BigDecimal.valueOf(1000)));
    }

    @Test
    void secondFeedKeepsBothHistoriesAndPricesEachEventWithThePriceOfItsTime() {
        pricing.refresh(TestFeeds.file(dir, TestFeeds.FEB));
        clock.set(JUL_REFRESH);

        RefreshResult result = pricing.refresh(TestFeeds.file(dir, TestFeeds.JUL));

        assertThat(result.outcome()).isEqualTo(RefreshOutcome.APPLIED);
        assertThat(result.added()).isEqualTo(514);
        assertThat(result.removed()).isEqualTo(140);
        assertThat(result.changed()).isEqualTo(163);
        assertThat(result.updated()).isEqualTo(376);
        assertThat(sql.fetchCount(MODEL_PRICING)).isEqualTo(2609 + 514 + 163);

        ModelHistory history = pricing.history("mistral/mistral-large-latest");
        assertThat(history.prices()).hasSize(2);
        assertThat(history.prices().get(0).validFrom()).isNull();
        assertThat(history.prices().get(0).validTo()).isEqualTo(JUL_REFRESH);
        assertThat(history.prices().get(0).costs().get("input_cost_per_token")).isEqualByComparingTo("0.000002");
        assertThat(history.prices().get(1).validFrom()).isEqualTo(JUL_REFRESH);
        assertThat(history.prices().get(1).validTo()).isNull();
        assertThat(history.prices().get(1).costs().get("input_cost_per_token")).isEqualByComparingTo("5E-7");

        TokenUsage usage = TokenUsage.of(10_000, 2_000);
        PricedCost before = pricing.priceEvent("mistral/mistral-large-latest", "mistral",
                JUL_REFRESH.minusMillis(1).toEpochMilli(), usage);
        PricedCost after = pricing.priceEvent("mistral/mistral-large-latest", "mistral", JUL_REFRESH.toEpochMilli(),
                usage);
        assertThat(before.total()).isEqualByComparingTo(new BigDecimal("0.000002").multiply(BigDecimal.valueOf(10_000))
                .add(new BigDecimal("0.000006").multiply(BigDecimal.valueOf(2_000))));
        assertThat(after.total()).isEqualByComparingTo(new BigDecimal("5E-7").multiply(BigDecimal.valueOf(10_000))
                .add(new BigDecimal("0.0000015").multiply(BigDecimal.valueOf(2_000))));
        assertThat(before.priceRowId()).isEqualTo(history.prices().get(0).id());
        assertThat(after.priceRowId()).isEqualTo(history.prices().get(1).id());
    }

    @Test
    void aModelTheFeedDropsKeepsItsLastPriceAndIsMarkedGone() {
        pricing.refresh(TestFeeds.file(dir, TestFeeds.FEB));
        clock.set(JUL_REFRESH);
        pricing.refresh(TestFeeds.file(dir, TestFeeds.JUL));

        ModelHistory history = pricing.history("claude-3-5-haiku-20241022");
        assertThat(history.prices()).singleElement().satisfies(w -> {
            assertThat(w.goneSince()).isEqualTo(JUL_REFRESH);
            assertThat(w.validTo()).isNull();
        });
        PricedCost cost = pricing.priceEvent("claude-3-5-haiku-20241022", "anthropic",
                JUL_REFRESH.plus(Duration.ofDays(3)).toEpochMilli(), TokenUsage.of(100, 10));
        assertThat(cost.status()).isEqualTo(CostStatus.PRICED);
    }

    @Test
    void aModelThatComesBackIsNoLongerGone() {
        pricing.refresh(TestFeeds.file(dir, TestFeeds.FEB));
        clock.set(JUL_REFRESH);
        pricing.refresh(TestFeeds.file(dir, TestFeeds.JUL));
        clock.advance(Duration.ofDays(1));

        byte[] back = TestFeeds.edited(TestFeeds.JUL, root -> root.set("claude-3-5-haiku-20241022",
                Json.read(new String(TestFeeds.bytes(TestFeeds.FEB), StandardCharsets.UTF_8))
                        .get("claude-3-5-haiku-20241022")));
        RefreshResult result = pricing.refresh(TestFeeds.file(dir, "back.json", back));

        assertThat(result.outcome()).isEqualTo(RefreshOutcome.APPLIED);
        assertThat(result.added()).isEqualTo(1);
        assertThat(result.changed()).isZero();
        assertThat(pricing.history("claude-3-5-haiku-20241022").prices())
                .singleElement().satisfies(w -> assertThat(w.goneSince()).isNull());
    }

    @Test
    void applyingTheSameFeedTwiceChangesNothing() {
        pricing.refresh(TestFeeds.file(dir, TestFeeds.FEB));
        clock.set(JUL_REFRESH);
        pricing.refresh(TestFeeds.file(dir, TestFeeds.JUL));
        long rows = sql.fetchCount(MODEL_PRICING);
        long version = version();
        clock.advance(Duration.ofDays(1));

        RefreshResult again = pricing.refresh(TestFeeds.file(dir, TestFeeds.JUL));

        assertThat(again.outcome()).isEqualTo(RefreshOutcome.UNCHANGED);
        assertThat(List.of(again.added(), again.changed(), again.removed(), again.updated())).containsOnly(0);
        assertThat(sql.fetchCount(MODEL_PRICING)).isEqualTo(rows);
        assertThat(version()).isEqualTo(version);
        assertThat(sql.fetchCount(PRICING_REFRESH_LOG)).isEqualTo(3);
    }

    @Test
    void aTruncatedFeedIsRefusedAndTheBookIsLeftAsItWas() {
        pricing.refresh(TestFeeds.file(dir, TestFeeds.FEB));
        long version = version();
        byte[] full = TestFeeds.bytes(TestFeeds.JUL);

        RefreshResult result = pricing.refresh(TestFeeds.file(dir, "truncated.json", Arrays.copyOf(full, full.length / 2)));

        assertThat(result.outcome()).isEqualTo(RefreshOutcome.REFUSED);
        assertThat(result.reason()).contains("truncated");
        assertThat(version()).isEqualTo(version);
        assertThat(loggedOutcome(result.id())).isEqualTo("refused");
    }

    @Test
    void anHtmlPageInsteadOfTheFeedIsRefused() {
        RefreshResult result = pricing.refresh(TestFeeds.file(dir, "error.html",
                "<!DOCTYPE html><html><body>Rate limit exceeded</body></html>"));

        assertThat(result.outcome()).isEqualTo(RefreshOutcome.REFUSED);
        assertThat(result.reason()).contains("not valid JSON");
        assertThat(sql.fetchCount(MODEL_PRICING)).isZero();
    }

    @Test
    void aFeedWithTooFewModelsIsRefused() {
        RefreshResult result = pricing.refresh(TestFeeds.file(dir, "tiny.json",
                "{\"gpt-4o\": {\"input_cost_per_token\": 2.5e-6, \"output_cost_per_token\": 1e-5}}"));

        assertThat(result.outcome()).isEqualTo(RefreshOutcome.REFUSED);
        assertThat(result.reason()).contains("1 models, fewer than the minimum of 500");
        assertThat(sql.fetchCount(MODEL_PRICING)).isZero();
    }

    @Test
    void aFeedThatDropsMoreThanAFifthOfTheBookIsRefused() {
        pricing.refresh(TestFeeds.file(dir, TestFeeds.JUL));
        long version = version();
        byte[] shrunk = TestFeeds.edited(TestFeeds.JUL, root -> {
            List<String> keys = root.properties().stream().map(java.util.Map.Entry::getKey).toList();
            keys.subList(0, 700).forEach(root::remove);
        });

        RefreshResult result = pricing.refresh(TestFeeds.file(dir, "shrunk.json", shrunk));

        assertThat(result.outcome()).isEqualTo(RefreshOutcome.REFUSED);
        assertThat(result.reason()).contains("drops 699 of the 2983 models").contains("more than the 20.0% allowed");
        assertThat(version()).isEqualTo(version);
        assertThat(sql.fetchCount(MODEL_PRICING, MODEL_PRICING.GONE_SINCE.isNotNull())).isZero();
    }

    @Test
    void malformedEntriesAreSkippedByNameAndTheRestOfTheFeedLoads() {
        byte[] feed = TestFeeds.edited(TestFeeds.JUL, root -> {
            ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("gpt-4o")).put("input_cost_per_token",
                    new BigDecimal("-0.0000025"));
            ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("o1")).put("output_cost_per_token", "cheap");
        });

        RefreshResult result = pricing.refresh(TestFeeds.file(dir, "negative.json", feed));

        assertThat(result.outcome()).isEqualTo(RefreshOutcome.APPLIED);
        assertThat(result.skippedEntries()).containsExactlyInAnyOrder(
                new SkippedEntry("gpt-4o", "input_cost_per_token is negative (-0.0000025)"),
                new SkippedEntry("o1", "output_cost_per_token must be a number, got the string \"cheap\""));
        assertThat(result.modelsInFeed()).isEqualTo(2981);
        assertThat(pricing.priceEvent("gpt-4o", "openai", clock.instant().toEpochMilli(), TokenUsage.of(1, 1))
                .status()).isEqualTo(CostStatus.UNPRICED);
        assertThat(pricing.priceEvent("gpt-4o-mini", "openai", clock.instant().toEpochMilli(), TokenUsage.of(1, 1))
                .status()).isEqualTo(CostStatus.PRICED);
        assertThat(sql.select(PRICING_REFRESH_LOG.ENTRIES_SKIPPED).from(PRICING_REFRESH_LOG)
                .where(PRICING_REFRESH_LOG.ID.eq(result.id())).fetchOne().value1()).isEqualTo(2);
    }

    /**
     * Regression (found by the bad-input fuzzing of price feeds): a model whose entry turned malformed was
     * marked gone, although the feed still lists it; its row now stays exactly as it was.
     */
    @Test
    void aModelWhoseEntryTurnsMalformedKeepsItsRowExactlyAsItWasAndIsNotMarkedGone() {
        pricing.refresh(TestFeeds.file(dir, TestFeeds.FEB));
        PriceWindow before = pricing.history("gpt-4o").prices().getLast();
        clock.advance(Duration.ofDays(1));
        byte[] feed = TestFeeds.edited(TestFeeds.FEB, root -> ((com.fasterxml.jackson.databind.node.ObjectNode)
                root.get("gpt-4o")).put("input_cost_per_token", "0.0000025"));

        RefreshResult result = pricing.refresh(TestFeeds.file(dir, "string-price.json", feed));

        assertThat(result.outcome()).isEqualTo(RefreshOutcome.UNCHANGED);
        assertThat(result.skippedEntries()).extracting(SkippedEntry::modelKey).containsExactly("gpt-4o");
        assertThat(result.removed()).isZero();
        assertThat(pricing.history("gpt-4o").prices()).containsExactly(before);
        assertThat(sql.fetchCount(MODEL_PRICING, MODEL_PRICING.GONE_SINCE.isNotNull())).isZero();
    }

    @Test
    void aFeedWithMoreThanAFifthOfTheBookMalformedIsRefusedAsAWhole() {
        pricing.refresh(TestFeeds.file(dir, TestFeeds.FEB));
        long version = version();
        byte[] feed = TestFeeds.edited(TestFeeds.FEB, root -> {
            int[] n = {0};
            root.properties().forEach(e -> {
                if (e.getValue() instanceof com.fasterxml.jackson.databind.node.ObjectNode entry && n[0]++ % 4 == 0) {
                    entry.put("litellm_provider", 42); // a quarter of the models
                }
            });
        });

        RefreshResult result = pricing.refresh(TestFeeds.file(dir, "quarter-malformed.json", feed));

        assertThat(result.outcome()).isEqualTo(RefreshOutcome.REFUSED);
        assertThat(result.reason()).contains("malformed").contains("more than the 20.0% allowed");
        assertThat(version()).isEqualTo(version);
    }

    @Test
    void everyRunWritesOneLogRowWithItsCountsAndTheFeedHash() {
        RefreshResult result = pricing.refresh(TestFeeds.file(dir, TestFeeds.FEB));

        var row = sql.selectFrom(PRICING_REFRESH_LOG).where(PRICING_REFRESH_LOG.ID.eq(result.id())).fetchOne();
        assertThat(row.getOutcome()).isEqualTo("applied");
        assertThat(row.getStartedAt().toInstant()).isEqualTo(FEB_REFRESH);
        assertThat(row.getFinishedAt()).isNotNull();
        assertThat(row.getModelsInFeed()).isEqualTo(2609);
        assertThat(row.getModelsAdded()).isEqualTo(2609);
        assertThat(row.getFeedSha256()).isEqualTo(Json.sha256Hex(TestFeeds.bytes(TestFeeds.FEB)));
        assertThat(pricing.recentRefreshes(5)).extracting(RefreshResult::id).containsExactly(result.id());
    }

    @Test
    void theBundledSnapshotLoadsOnlyIntoAnEmptyBook() {
        RefreshResult first = pricing.applyBundledSnapshotIfEmpty().orElseThrow();

        assertThat(first.outcome()).isEqualTo(RefreshOutcome.APPLIED);
        assertThat(first.source()).isEqualTo("bundled:model_prices_2026-07-24.json");
        assertThat(first.added()).isEqualTo(2983);
        assertThat(pricing.applyBundledSnapshotIfEmpty()).isEmpty();
    }

    @Test
    void refreshIfStaleRunsOnlyWhenTheLastSuccessfulRunIsOlderThanThePeriod() {
        FeedSource.File feed = TestFeeds.file(dir, TestFeeds.JUL);
        try (Pricing fromFile = new Pricing(book.database.dataSource(), PricingSettings.defaults().withFeed(feed)
                .withCacheCheckInterval(Duration.ZERO), clock)) {
            assertThat(fromFile.refreshIfStale(Duration.ofDays(1))).get()
                    .extracting(RefreshResult::outcome).isEqualTo(RefreshOutcome.APPLIED);
            clock.advance(Duration.ofHours(23));
            assertThat(fromFile.refreshIfStale(Duration.ofDays(1))).isEmpty();
            clock.advance(Duration.ofHours(2));
            assertThat(fromFile.refreshIfStale(Duration.ofDays(1))).get()
                    .extracting(RefreshResult::outcome).isEqualTo(RefreshOutcome.UNCHANGED);
        }
    }

    private long version() {
        return book.version();
    }

    private String loggedOutcome(long id) {
        return sql.select(PRICING_REFRESH_LOG.OUTCOME).from(PRICING_REFRESH_LOG).where(PRICING_REFRESH_LOG.ID.eq(id))
                .fetchOne().value1();
    }
}
