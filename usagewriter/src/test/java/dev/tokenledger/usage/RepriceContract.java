package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ClickHouseException;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.pricing.FeedSource;
import dev.tokenledger.pricing.OverrideRequest;
import dev.tokenledger.pricing.Pricing;
import dev.tokenledger.pricing.PricingSettings;
import dev.tokenledger.pricing.RefreshOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Corrections on real price files (LiteLLM snapshots of 2026-02-28 and 2026-07-24) and a real ClickHouse backend:
 * every expected cost is computed here from the feed's own numbers and the documented token convention, never by
 * the code under test.
 */
abstract class RepriceContract {
    private static final ObjectMapper JSON = new ObjectMapper();
    private PostgresDatabase postgres;
    private FaultyClickHouse clickHouse;
    private TestPipeline pipeline;
    private Pricing pricing;
    private Repricer repricer;
    private final List<Repricer.Run> queued = new CopyOnWriteArrayList<>();
    @TempDir
    Path feeds;

    abstract ClickHouse clickHouse(String testName);

    @BeforeEach
    void start(TestInfo test) {
        String name = test.getTestMethod().orElseThrow().getName();
        postgres = TestPostgres.freshDatabase(name);
        clickHouse = new FaultyClickHouse(clickHouse(name));
        pricing = new Pricing(postgres.dataSource(), PricingSettings.defaults()
                .withCacheCheckInterval(Duration.ZERO), InstantSource.system());
        assertThat(pricing.refresh(feed("litellm/model_prices_2026-02-28.json")).outcome())
                .isEqualTo(RefreshOutcome.APPLIED);
        EventPricer pricer = new PricingEventPricer(pricing);
        pipeline = TestPipeline.manual(postgres, clickHouse, WriterSettings.DEFAULTS, pricer);
        repricer = new Repricer(postgres.dataSource(), clickHouse, pricer, null, InstantSource.system(), 7); // many chunks
        pricing.onPriceChange(change -> repricer.backPrice(change).ifPresent(queued::add)); // as the service wires it
    }

    @AfterEach
    void stop() {
        pipeline.close();
        pricing.close();
        clickHouse.close();
        postgres.close();
    }

    @Test
    void aModelUnpricedWhenWrittenIsPricedByTheRefreshThatAddsItAtExactlyTheFeedsCost() {
        List<UsageEvent> later = events("gpt-5.4", 30);
        List<UsageEvent> known = events("gpt-4o", 10);
        write(later, known);
        assertThat(unpricedInRollup()).isEqualTo(30);

        assertThat(pricing.refresh(feed(dev.tokenledger.pricing.FeedSource.Bundled.RESOURCE)).outcome())
                .isEqualTo(RefreshOutcome.APPLIED);
        assertThat(queued).as("the refresh queued a back-pricing run by itself").hasSize(1);
        Repricer.Run run = repricer.run(queued.getFirst().runId(), d -> { });

        JsonNode july = feedJson(dev.tokenledger.pricing.FeedSource.Bundled.RESOURCE).get("gpt-5.4");
        BigDecimal total = BigDecimal.ZERO;
        for (UsageEvent e : later) {
            BigDecimal expected = cost(e, july);
            total = total.add(expected);
            CostExplanation x = repricer.explain(e.eventId()).orElseThrow();
            assertThat(x.writtenStatus()).isEqualTo("unpriced");
            assertThat(x.currentStatus()).isEqualTo("priced");
            assertThat(x.current().get("cost_usd")).isEqualByComparingTo(expected);
            assertThat(x.adjustments()).singleElement().satisfies(a -> assertThat(a.reason()).contains("pricing_refresh"));
        }
        assertThat(run.eventsExamined()).isEqualTo(30);
        assertThat(run.eventsAdjusted()).isEqualTo(30);
        assertThat(unpricedInRollup()).isZero();
        assertThat(rollupCost("gpt-5.4")).isEqualByComparingTo(total);
        assertThat(rawPlusAdjustments("gpt-5.4")).isEqualByComparingTo(total);
        assertClean();

        Repricer.Run again = repricer.run(repricer.start(request(List.of("gpt-5.4"), "check")).runId(), d -> { });
        assertThat(again.eventsExamined()).isEqualTo(30);
        assertThat(again.eventsAdjusted()).as("nothing changed since").isZero();
    }

    @Test
    void aBackDatedOverrideItsEndAWithdrawnPriceAndASecondRunAddUpToTheFinalCostToTheLastDigit() throws SQLException {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        List<UsageEvent> gpt4o = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            gpt4o.add(event("gpt-4o", now.minus(Duration.ofHours(12L * i + 1))));
        }
        List<UsageEvent> mini = events("gpt-4o-mini", 8);
        write(gpt4o, mini);
        Map<UUID, BigDecimal> original = currentCosts(gpt4o, mini);

        // An override negotiated 15 days ago, entered today: every gpt-4o event is re-priced at it.
        Map<String, BigDecimal> rates = Map.of("input_cost_per_token", new BigDecimal("0.0000021"),
                "output_cost_per_token", new BigDecimal("0.0000087"), "cache_read_input_token_cost",
                new BigDecimal("0.00000105"));
        pricing.setOverride(new OverrideRequest("gpt-4o", null, now.minus(Duration.ofDays(15)), rates, "contract 2026"));
        runQueued();
        // It ended 5 days ago: the last five days go back to the book's price.
        Instant end = now.minus(Duration.ofDays(5));
        pricing.endOverride("gpt-4o", end);
        runQueued();
        // gpt-4o-mini's price row turns out to be wrong and is withdrawn: its events become unpriced.
        execute("DELETE FROM model_pricing WHERE model_key = 'gpt-4o-mini'");
        pricing.reloadIfChanged();
        repricer.run(repricer.start(request(List.of("gpt-4o-mini"), "withdrawn: wrong row")).runId(), d -> { });

        JsonNode book = feedJson("litellm/model_prices_2026-02-28.json").get("gpt-4o");
        JsonNode override = JSON.valueToTree(rates);
        BigDecimal total = BigDecimal.ZERO;
        for (UsageEvent e : gpt4o) {
            BigDecimal expected = e.eventTime().isBefore(end) ? cost(e, override) : cost(e, book);
            total = total.add(expected);
            CostExplanation x = repricer.explain(e.eventId()).orElseThrow();
            assertThat(x.current().get("cost_usd")).as("event at %s", e.eventTime()).isEqualByComparingTo(expected);
            BigDecimal deltas = x.adjustments().stream().map(a -> a.deltas().get("cost_usd"))
                    .reduce(BigDecimal.ZERO, BigDecimal::add);
            assertThat(deltas).as("adjustments = final - original")
                    .isEqualByComparingTo(expected.subtract(original.get(e.eventId())));
        }
        for (UsageEvent e : mini) {
            CostExplanation x = repricer.explain(e.eventId()).orElseThrow();
            assertThat(x.currentStatus()).isEqualTo("unpriced");
            assertThat(x.current()).isEmpty();
            assertThat(x.adjustments()).singleElement().satisfies(a -> {
                assertThat(a.unpricedDelta()).isEqualTo(1);
                assertThat(a.deltas().get("cost_usd")).isEqualByComparingTo(original.get(e.eventId()).negate());
            });
        }
        assertThat(rollupCost("gpt-4o")).isEqualByComparingTo(total);
        assertThat(rollupCost("gpt-4o-mini")).isZero();
        assertThat(unpricedInRollup()).isEqualTo(mini.size());
        assertClean();
    }

    @Test
    void aRunKilledAfterItsInsertAndResumedAppendsEachAdjustmentOnce() {
        List<UsageEvent> later = events("gpt-5.4", 12);
        write(later, List.of());
        pricing.refresh(feed(dev.tokenledger.pricing.FeedSource.Bundled.RESOURCE));
        long runId = queued.getFirst().runId();
        clickHouse.failNext(FaultyClickHouse.Fault.AFTER_INSERT, 1, Rollups.ADJUSTMENTS); // inserted, answer lost
        assertThatThrownBy(() -> repricer.run(runId, d -> { })).isInstanceOf(ClickHouseException.class);

        Repricer.Run run = repricer.run(runId, d -> { });

        assertThat(run.eventsAdjusted()).isEqualTo(12);
        assertThat(clickHouse.query("SELECT count() AS n FROM llm_usage_adjustment").getFirst().int64("n"))
                .isEqualTo(12);
        assertThat(unpricedInRollup()).isZero();
        assertClean();
    }

    @Test
    void aRollupMonthRebuiltAfterCorrectionsHoldsUsagePlusItsAdjustments() {
        List<UsageEvent> later = events("gpt-5.4", 10);
        write(later, events("gpt-4o", 5));
        pricing.refresh(feed(dev.tokenledger.pricing.FeedSource.Bundled.RESOURCE));
        repricer.run(queued.getFirst().runId(), d -> { });
        BigDecimal corrected = rollupCost("gpt-5.4");
        assertThat(corrected).isPositive();
        for (int month : months(later)) {
            clickHouse.execute("ALTER TABLE llm_usage_daily DROP PARTITION ID '" + month + "'");
        }

        UsageReconcileJob.Run run = pipeline.reconcileJob.runOnce();

        assertThat(run.repairs()).allSatisfy(r -> assertThat(r.rebuilt()).isTrue());
        assertThat(rollupCost("gpt-5.4")).isEqualByComparingTo(corrected);
        assertThat(unpricedInRollup()).isZero();
        assertClean();
    }

    @Test
    void webSearchesImageTokensAndRegionalUpliftsAreWrittenRolledUpRepricedAndReconciledToTheLastDigit() {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        List<UsageEvent> searches = new ArrayList<>();
        List<UsageEvent> eu = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            searches.add(TestEvents.event().model("claude-sonnet-4-5").provider("anthropic").userId("u-s")
                    .eventTime(now.minus(Duration.ofMinutes(31L * i + 1))).promptTokens(2_000 + i)
                    .completionTokens(300).webSearchRequests(2).build());
            eu.add(TestEvents.event().model("gpt-5.4").provider("openai").userId("u-eu").inferenceGeo("eu")
                    .eventTime(now.minus(Duration.ofMinutes(47L * i + 1))).promptTokens(1_500 + i).cachedTokens(500)
                    .imagePromptTokens(765).completionTokens(400).build());
        }
        write(searches, eu);

        JsonNode feb = feedJson("litellm/model_prices_2026-02-28.json").get("claude-sonnet-4-5");
        BigDecimal perSearch = new BigDecimal(feb.at("/search_context_cost_per_query/search_context_size_medium").asText());
        BigDecimal searchTotal = BigDecimal.ZERO;
        for (UsageEvent e : searches) {
            searchTotal = searchTotal.add(cost(e, feb)).add(perSearch.multiply(BigDecimal.valueOf(2)));
        }
        var written = clickHouse.query("SELECT sum(web_search_requests) AS n, sum(web_search_cost) AS search,"
                + " sum(cost_usd) AS total FROM llm_usage WHERE model = 'claude-sonnet-4-5'").getFirst();
        assertThat(written.int64("n")).isEqualTo(10);
        assertThat(written.decimal("search")).isEqualByComparingTo(perSearch.multiply(BigDecimal.TEN));
        assertThat(written.decimal("total")).isEqualByComparingTo(searchTotal);
        var unpriced = clickHouse.query("SELECT any(unpriced_reason) AS why, sum(image_prompt_tokens) AS img,"
                + " any(inference_geo) AS geo FROM llm_usage WHERE model = 'gpt-5.4'").getFirst();
        assertThat(unpriced.string("why")).isEqualTo("unknown_model");
        assertThat(unpriced.int64("img")).isEqualTo(5 * 765);
        assertThat(unpriced.string("geo")).isEqualTo("eu");

        // The July file lists gpt-5.4 with OpenAI's 1.1 EU data-residency uplift: back-pricing applies it to every
        // token, the image tokens at the input rate (gpt-5.4 lists no image token rate).
        pricing.refresh(feed(dev.tokenledger.pricing.FeedSource.Bundled.RESOURCE));
        runQueued();
        JsonNode july = feedJson(dev.tokenledger.pricing.FeedSource.Bundled.RESOURCE).get("gpt-5.4");
        BigDecimal uplift = new BigDecimal(july.get("regional_processing_uplift_multiplier_eu").asText());
        BigDecimal euTotal = BigDecimal.ZERO;
        for (UsageEvent e : eu) {
            BigDecimal in = rate(july, "input_cost_per_token");
            BigDecimal expected = in.multiply(BigDecimal.valueOf(e.promptTokens() - e.cachedTokens() - 765))
                    .multiply(uplift).setScale(12, RoundingMode.HALF_EVEN)
                    .add(rate(july, "cache_read_input_token_cost").multiply(BigDecimal.valueOf(e.cachedTokens()))
                            .multiply(uplift).setScale(12, RoundingMode.HALF_EVEN))
                    .add(in.multiply(BigDecimal.valueOf(765)).multiply(uplift).setScale(12, RoundingMode.HALF_EVEN))
                    .add(rate(july, "output_cost_per_token").multiply(BigDecimal.valueOf(e.completionTokens()))
                            .multiply(uplift).setScale(12, RoundingMode.HALF_EVEN));
            euTotal = euTotal.add(expected);
            CostExplanation x = repricer.explain(e.eventId()).orElseThrow();
            assertThat(x.current().get("cost_usd")).isEqualByComparingTo(expected);
            assertThat(x.current().get("image_cost")).isPositive();
            assertThat(x.event()).containsEntry("inference_geo", "eu").containsEntry("image_prompt_tokens", 765L);
            assertThat(x.adjustments()).singleElement().satisfies(a -> assertThat(a.basis().flags())
                    .isEqualTo("regional_uplift"));
        }
        assertThat(rollupCost("gpt-5.4")).isEqualByComparingTo(euTotal);
        assertThat(rollupCost("claude-sonnet-4-5")).isEqualByComparingTo(searchTotal);
        assertClean();

        // A rollup month rebuilt from its views keeps the new columns too.
        for (int month : months(searches)) {
            clickHouse.execute("ALTER TABLE llm_usage_daily DROP PARTITION ID '" + month + "'");
        }
        pipeline.reconcileJob.runOnce();
        var rollup = clickHouse.query("SELECT sum(web_search_requests) AS n, sum(web_search_cost) AS search,"
                + " sum(image_tokens) AS img, sum(image_cost) AS image FROM llm_usage_daily").getFirst();
        assertThat(rollup.int64("n")).isEqualTo(10);
        assertThat(rollup.decimal("search")).isEqualByComparingTo(perSearch.multiply(BigDecimal.TEN));
        assertThat(rollup.int64("img")).isEqualTo(5 * 765);
        assertThat(rollup.decimal("image")).isPositive();
        assertThat(rollupCost("gpt-5.4")).isEqualByComparingTo(euTotal);
        assertClean();
    }

    @Test
    void badRequestsAreRefusedWithAClearMessageAndWriteNothing() {
        write(events("gpt-4o", 3), List.of());
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        assertThatThrownBy(() -> new RepriceRequest(today, today.minusDays(1), List.of(), false, null, "x", "test"))
                .hasMessageContaining("--to").hasMessageContaining("before --from");
        assertThatThrownBy(() -> repricer.start(new RepriceRequest(today.minusMonths(14), today, List.of(), false,
                null, "x", "test"))).hasMessageContaining("retention");
        assertThatThrownBy(() -> repricer.start(new RepriceRequest(today.minusDays(60), today.minusDays(40),
                List.of(), false, null, "x", "test"))).hasMessageContaining("nothing to re-price");
        assertThatThrownBy(() -> repricer.start(request(List.of("no-such-model-9"), "x")))
                .hasMessageContaining("no-such-model-9");
        assertThat(repricer.list(10)).isEmpty();
        assertThat(clickHouse.query("SELECT count() AS n FROM llm_usage_adjustment").getFirst().int64("n")).isZero();
    }

    // ---- fixtures -------------------------------------------------------------------------------------------

    private RepriceRequest request(List<String> models, String reason) {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        return new RepriceRequest(today.minusDays(30), today, models, false, null, reason, "test");
    }

    private void runQueued() {
        assertThat(queued).isNotEmpty();
        for (Repricer.Run r : queued) {
            repricer.run(r.runId(), d -> { });
        }
        queued.clear();
    }

    /** {@code count} events of {@code model} over the last three days, with cached prompt tokens. */
    private static List<UsageEvent> events(String model, int count) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        List<UsageEvent> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(event(model, now.minus(Duration.ofMinutes(137L * i + 1))));
        }
        return out;
    }

    private static UsageEvent event(String model, Instant at) {
        int n = (int) (at.toEpochMilli() % 997);
        return TestEvents.event().model(model).provider("openai").eventTime(at).userId("u-" + (n % 4))
                .promptTokens(1_000 + n).cachedTokens(100 + n % 50).completionTokens(200 + n % 90).build();
    }

    /** The documented convention: prompt tokens include the cached ones; each component rounded to 12 places. */
    private static BigDecimal cost(UsageEvent e, JsonNode rates) {
        BigDecimal input = rate(rates, "input_cost_per_token").multiply(BigDecimal.valueOf(e.promptTokens() - e.cachedTokens()));
        BigDecimal cached = rate(rates, "cache_read_input_token_cost").multiply(BigDecimal.valueOf(e.cachedTokens()));
        BigDecimal output = rate(rates, "output_cost_per_token").multiply(BigDecimal.valueOf(e.completionTokens()));
        return input.setScale(12, RoundingMode.HALF_EVEN).add(cached.setScale(12, RoundingMode.HALF_EVEN))
                .add(output.setScale(12, RoundingMode.HALF_EVEN));
    }

    private static BigDecimal rate(JsonNode rates, String key) {
        return new BigDecimal(rates.get(key).asText());
    }

    @SafeVarargs
    private void write(List<UsageEvent>... lists) {
        List<UsageEvent> all = new ArrayList<>();
        for (List<UsageEvent> l : lists) {
            all.addAll(l);
        }
        assertThat(pipeline.recorder.record(all)).extracting(RecordResult::status)
                .containsOnly(RecordResult.Status.ACCEPTED);
        pipeline.writer.sealReady();
        for (long id = 1; id <= 20; id++) {
            try {
                pipeline.writer.job().run(new UsageWriteRequestV1(id));
            } catch (IllegalStateException e) {
                break; // no such batch
            }
        }
        assertThat(pipeline.rawCount()).isEqualTo(all.size());
    }

    @SafeVarargs
    private Map<UUID, BigDecimal> currentCosts(List<UsageEvent>... lists) {
        Map<UUID, BigDecimal> out = new java.util.HashMap<>();
        for (List<UsageEvent> l : lists) {
            for (UsageEvent e : l) {
                out.put(e.eventId(), repricer.explain(e.eventId()).orElseThrow().current().get("cost_usd"));
            }
        }
        return out;
    }

    private long unpricedInRollup() {
        return clickHouse.query("SELECT sum(unpriced_events) AS n FROM llm_usage_daily").getFirst().int64("n");
    }

    private BigDecimal rollupCost(String model) {
        BigDecimal v = clickHouse.query("SELECT sum(cost_usd) AS c FROM llm_usage_daily WHERE model = {m:String}",
                Map.of("m", model)).getFirst().decimal("c");
        return v == null ? BigDecimal.ZERO : v;
    }

    private BigDecimal rawPlusAdjustments(String model) {
        return clickHouse.query("SELECT (SELECT sum(ifNull(cost_usd, toDecimal128(0, 12))) FROM llm_usage WHERE model ="
                + " {m:String}) + (SELECT sum(cost_usd) FROM llm_usage_adjustment WHERE model = {m:String}) AS c",
                Map.of("m", model)).getFirst().decimal("c");
    }

    private static List<Integer> months(List<UsageEvent> events) {
        return events.stream().map(e -> BatchWriter.month(e.eventTime())).distinct().toList();
    }

    private void assertClean() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        ReconcileReport report = pipeline.reconciler.reconcile(today.minusDays(40), today);
        assertThat(report.differences()).as("reconcile").isEmpty();
        assertThat(report.clean()).isTrue();
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private FeedSource feed(String resource) {
        try (InputStream in = RepriceContract.class.getClassLoader().getResourceAsStream(resource)) {
            Path file = feeds.resolve(Path.of(resource).getFileName().toString());
            Files.write(file, in.readAllBytes());
            return new FeedSource.File(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode feedJson(String resource) {
        try (InputStream in = RepriceContract.class.getClassLoader().getResourceAsStream(resource)) {
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
