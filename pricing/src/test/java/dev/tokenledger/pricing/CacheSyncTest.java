package dev.tokenledger.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

class CacheSyncTest {
    private static final Instant T0 = Instant.parse("2026-07-25T00:00:00Z");

    @TempDir
    Path dir;

    @Test
    void anotherProcessSeesAChangeOnlyAfterItChecksTheVersion(TestInfo test) {
        try (TestBook book = TestBook.fresh(test.getDisplayName(), T0, s -> s.withMinModels(0));
             Pricing other = book.anotherProcess()) {
            book.pricing.refresh(TestFeeds.file(dir, "one.json", TestFeeds.subset(TestFeeds.JUL, "gpt-4o")));
            assertThat(other.priceEvent("gpt-4o", null, T0.toEpochMilli(), TokenUsage.of(1, 0)).status())
                    .isEqualTo(CostStatus.UNPRICED);

            assertThat(other.reloadIfChanged()).isTrue();
            assertThat(other.priceEvent("gpt-4o", null, T0.toEpochMilli(), TokenUsage.of(1, 0)).status())
                    .isEqualTo(CostStatus.PRICED);
            assertThat(other.reloadIfChanged()).isFalse();

            book.pricing.setOverride(new OverrideRequest("gpt-4o", null, T0,
                    Map.of("input_cost_per_token", new BigDecimal("0.000001")), "test"));
            assertThat(book.pricing.priceEvent("gpt-4o", null, T0.toEpochMilli(), TokenUsage.of(1, 0)).status())
                    .as("the writing process prices with its own change at once").isEqualTo(CostStatus.OVERRIDE);
            assertThat(other.priceEvent("gpt-4o", null, T0.toEpochMilli(), TokenUsage.of(1, 0)).status())
                    .isEqualTo(CostStatus.PRICED);
            assertThat(other.reloadIfChanged()).isTrue();
            assertThat(other.priceEvent("gpt-4o", null, T0.toEpochMilli(), TokenUsage.of(1, 0)).status())
                    .isEqualTo(CostStatus.OVERRIDE);
        }
    }

    @Test
    void endingAnOverrideWithoutAddingARowStillMovesTheVersion(TestInfo test) {
        try (TestBook book = TestBook.fresh(test.getDisplayName(), T0, s -> s.withMinModels(0));
             Pricing other = book.anotherProcess()) {
            book.pricing.setOverride(new OverrideRequest("private-model", null, T0,
                    Map.of("input_cost_per_token", new BigDecimal("0.000001")), "test"));
            other.reloadIfChanged();
            long version = book.version();

            book.pricing.endOverride("private-model", T0.plusSeconds(10));

            assertThat(book.version()).isGreaterThan(version);
            assertThat(other.reloadIfChanged()).isTrue();
            assertThat(other.priceEvent("private-model", null, T0.plusSeconds(10).toEpochMilli(), TokenUsage.of(1, 0))
                    .status()).isEqualTo(CostStatus.UNPRICED);
        }
    }
}
