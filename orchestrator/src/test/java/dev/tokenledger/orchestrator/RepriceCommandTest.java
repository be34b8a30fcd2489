package dev.tokenledger.orchestrator;

import dev.tokenledger.usage.Reports;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.pricing.OverrideRequest;
import dev.tokenledger.usage.TestEvents;
import dev.tokenledger.usage.UsageEvent;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code ./tokenledger reprice}, {@code explain-cost}, {@code report --as-written}, reconcile's adjustment totals and
 * {@code pricing override}'s back-pricing line, on a ledger that wrote real events into an embedded ClickHouse. Each
 * test has its own workspace, so no test sees another's corrections. Every expected cost is computed here from the
 * override's rates and the documented token convention, never by the code under test.
 */
class RepriceCommandTest {
    /** A model the price book does not know: unpriced when written, priced by an override from the past. */
    private static final String PRIVATE = "acme-private-1";
    private static final Map<String, BigDecimal> PRIVATE_RATES = Map.of(
            "input_cost_per_token", new BigDecimal("0.000002"),
            "output_cost_per_token", new BigDecimal("0.000008"),
            "cache_read_input_token_cost", new BigDecimal("0.0000005"));
    /** A negotiated gpt-4o price, entered after the events were written at the book's price. */
    private static final Map<String, BigDecimal> GPT_4O_RATES = Map.of(
            "input_cost_per_token", new BigDecimal("0.0000021"),
            "output_cost_per_token", new BigDecimal("0.0000087"),
            "cache_read_input_token_cost", new BigDecimal("0.00000105"));
    /** A deployment name only an admin's alias prices (as gpt-4o, whose contract price is the override above). */
    private static final String DEPLOYMENT = "acme-gpt4o-eu-prod";
    private static final List<String> WORKSPACES = List.of("ws-dry", "ws-run", "ws-report", "ws-explain",
            "ws-reconcile");

    private static PostgresDatabase postgres;
    private static ClickHouse clickHouse;
    private static Ledger ledger;
    private static TestCli cli;
    private static TestCli backPricingCli;
    private static LocalDate first;
    private static LocalDate last;
    private static final Map<String, List<UsageEvent>> EVENTS = new LinkedHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        postgres = TestPostgres.freshDatabase("reprice_cli");
        clickHouse = TestClickHouse.embedded("reprice_cli");
        LedgerConfig config = TestLedger.config(Map.of("TOKENLEDGER_BACK_PRICING", "false"));
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        first = today.minusDays(2);
        last = today.minusDays(1);
        List<UsageEvent> all = new ArrayList<>();
        for (String ws : WORKSPACES) {
            List<UsageEvent> events = new ArrayList<>();
            for (String model : List.of(PRIVATE, "gpt-4o")) {
                for (int i = 0; i < 4; i++) {
                    events.add(event(ws, model, (i < 2 ? first : last).atTime(12, i).toInstant(ZoneOffset.UTC), i));
                }
            }
            EVENTS.put(ws, events);
            all.addAll(events);
        }
        for (int i = 0; i < 2; i++) {
            all.add(event("ws-pricing", "acme-private-2", last.atTime(9, i).toInstant(ZoneOffset.UTC), i));
        }
        for (int i = 0; i < 3; i++) {
            UsageEvent e = event("ws-alias", DEPLOYMENT, last.atTime(10, i).toInstant(ZoneOffset.UTC), i);
            EVENTS.computeIfAbsent("ws-alias", k -> new ArrayList<>()).add(e);
            all.add(e);
        }
        try (Ledger worker = TestLedger.open(config, Ledger.Mode.WORKER, postgres, clickHouse)) {
            worker.recorder().record(all);
            DemoData.awaitWritten(worker, Duration.ofSeconds(90));
        }
        // Both prices apply from before the events; with back-pricing off, nothing is corrected until a run says so.
        ledger = TestLedger.open(config, Ledger.Mode.CLIENT, postgres, clickHouse);
        Instant past = today.minusDays(10).atStartOfDay().toInstant(ZoneOffset.UTC);
        ledger.pricing().setOverride(new OverrideRequest(PRIVATE, null, past, PRIVATE_RATES, "private model"));
        ledger.pricing().setOverride(new OverrideRequest("gpt-4o", null, past, GPT_4O_RATES, "contract 2026"));
        cli = new TestCli(config, postgres, clickHouse);
        backPricingCli = new TestCli(TestLedger.config(Map.of()), postgres, clickHouse);
    }

    @AfterAll
    static void stop() {
        if (ledger != null) {
            ledger.close();
        }
        clickHouse.close();
        postgres.close();
    }

    @Test
    void aDryRunPrintsWhatARunWouldAppendAndWritesNothing() throws Exception {
        TestCli.Run json = cli.run("reprice", "--from", first.toString(), "--to", last.toString(), "--workspace",
                "ws-dry", "--dry-run", "--json");

        assertThat(json.exit()).as(json.toString()).isZero();
        JsonNode s = Output.JSON.readTree(json.out());
        assertThat(s.get("dry_run").asBoolean()).isTrue();
        assertThat(s.get("events_examined").asLong()).isEqualTo(8);
        assertThat(s.get("events_adjusted").asLong()).isEqualTo(8);
        assertThat(s.get("unpriced_before").asLong()).isEqualTo(4);
        assertThat(s.get("unpriced_after").asLong()).isZero();
        assertThat(s.get("cost_before").asText()).isEqualTo(exact(writtenCost("ws-dry")));
        assertThat(s.get("cost_after").asText()).isEqualTo(exact(expectedCost("ws-dry")));

        TestCli.Run human = cli.run("reprice", "--from", first.toString(), "--to", last.toString(), "--workspace",
                "ws-dry", "--dry-run");
        assertThat(human.exit()).as(human.toString()).isZero();
        assertThat(human.out()).contains("dry run, nothing written", exact(expectedCost("ws-dry")))
                .containsPattern("events would adjust +8\n").containsPattern("unpriced events +4 -> 0\n");
        assertThat(adjustments("ws-dry")).isZero();
        assertThat(ledger.repricer().list(100)).noneMatch(r -> "ws-dry".equals(r.workspace()));
    }

    @Test
    void aRunCorrectsTheWrittenCostsAChunkAtATimePrintsItsSummaryExactlyAndASecondRunAppendsNothing() throws Exception {
        TestCli.Run run = cli.run("reprice", "--from", first.toString(), "--to", last.toString(), "--workspace",
                "ws-run", "--reason", "contract prices", "--json");

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.err()).as("both days fit one chunk")
                .contains("chunk 1 done: 8 event(s) examined of 8 in range, 8 adjusted so far");
        JsonNode s = Output.JSON.readTree(run.out());
        assertThat(s.get("status").asText()).isEqualTo("done");
        assertThat(s.get("requested_by").asText()).isEqualTo(RepriceCommand.requestedBy());
        assertThat(s.get("reason").asText()).isEqualTo("contract prices");
        assertThat(s.get("chunks_done").asInt()).isEqualTo(1);
        assertThat(s.get("events_in_range").asLong()).isEqualTo(8);
        assertThat(s.get("events_examined").asLong()).isEqualTo(8);
        assertThat(s.get("events_adjusted").asLong()).isEqualTo(8);
        assertThat(s.get("cost_before").asText()).isEqualTo(exact(writtenCost("ws-run")));
        assertThat(s.get("cost_after").asText()).isEqualTo(exact(expectedCost("ws-run")));
        assertThat(s.get("cost_change").asText())
                .isEqualTo(exact(expectedCost("ws-run").subtract(writtenCost("ws-run"))));
        assertThat(s.get("unpriced_before").asLong()).isEqualTo(4);
        assertThat(s.get("unpriced_after").asLong()).isZero();
        assertThat(adjustments("ws-run")).isEqualTo(8);

        TestCli.Run again = cli.run("reprice", "--from", first.toString(), "--to", last.toString(), "--workspace",
                "ws-run", "--reason", "check");
        assertThat(again.exit()).as(again.toString()).isZero();
        assertThat(again.out()).contains("chunk 1 done: 8 event(s) examined of 8 in range, 0 adjusted so far",
                        exact(expectedCost("ws-run")) + " -> " + exact(expectedCost("ws-run")) + " (0)")
                .containsPattern("events examined +8\n").containsPattern("events adjusted +0\n")
                .containsPattern("unpriced events +0 -> 0\n");
        assertThat(adjustments("ws-run")).as("prices unchanged since: nothing appended").isEqualTo(8);

        TestCli.Run list = cli.run("reprice", "--list", "--json");
        assertThat(list.exit()).as(list.toString()).isZero();
        JsonNode runs = Output.JSON.readTree(list.out()).get("runs");
        assertThat(runs.get(0).get("reason").asText()).as("newest first").isEqualTo("check");
        assertThat(runs.get(1).get("run_id").asLong()).isEqualTo(s.get("run_id").asLong());
        assertThat(runs.get(1).get("cost_after").asText()).isEqualTo(exact(expectedCost("ws-run")));
        assertThat(runs.get(1).has("unpriced_before")).isFalse();
        assertThat(cli.run("reprice", "--list").out()).contains("contract prices", "ws-run",
                exact(expectedCost("ws-run")));
    }

    @Test
    void badInputIsRefusedWithExitCode2AndAClearMessageAndNothingIsWritten() {
        int runs = ledger.repricer().list(1000).size();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);

        assertRefused(cli.run("reprice", "--from", last.toString(), "--to", first.toString()),
                "--to (" + first + ") is before --from (" + last + ")");
        assertRefused(cli.run("reprice", "--from", today.minusMonths(14).toString(), "--to", last.toString()),
                "retention");
        assertRefused(cli.run("reprice", "--from", today.minusDays(60).toString(), "--to",
                today.minusDays(40).toString()), "nothing to re-price");
        assertRefused(cli.run("reprice", "--from", first.toString(), "--to", last.toString(), "--model",
                "no-such-model-9"), "--model no-such-model-9");
        assertRefused(cli.run("reprice", "--from", first.toString()), "--from DATE and --to DATE are required");
        assertRefused(cli.run("reprice", "--list", "--from", first.toString()), "--list takes no other option");

        assertThat(ledger.repricer().list(1000)).hasSize(runs);
    }

    @Test
    void afterARepriceTheRollupAndRawReportsShowTheCorrectedTotalsAndAsWrittenTheOriginalOnesToTheLastDigit() {
        String ws = "ws-report";
        Reports.Query byModel = new Reports.Query(Reports.By.MODEL, first, last, ws, null, null, 50);
        Reports.Report writtenRollup = ledger.reports().run(byModel, Reports.Source.ROLLUP);
        assertThat(line(writtenRollup, PRIVATE).unpricedEvents()).isEqualTo(4);

        TestCli.Run run = cli.run("reprice", "--from", first.toString(), "--to", last.toString(), "--workspace", ws);
        assertThat(run.exit()).as(run.toString()).isZero();

        BigDecimal privateCost = expectedCost(ws, PRIVATE);
        BigDecimal gpt4oCost = expectedCost(ws, "gpt-4o");
        for (Reports.Source source : Reports.Source.values()) {
            Reports.Report now = ledger.reports().run(byModel, source);
            assertThat(line(now, PRIVATE).costUsd()).as(source + " corrected").isEqualTo(privateCost);
            assertThat(line(now, PRIVATE).unpricedEvents()).as(source + ": priced now").isZero();
            assertThat(line(now, PRIVATE).events()).isEqualTo(4);
            assertThat(line(now, PRIVATE).promptTokens()).as("corrections move no token")
                    .isEqualTo(tokens(ws, PRIVATE));
            assertThat(line(now, "gpt-4o").costUsd()).as(source + " corrected").isEqualTo(gpt4oCost);

            Reports.Report asWritten = ledger.reports().run(byModel.asWritten(true), source);
            assertThat(asWritten.lines()).as(source + " as written").isEqualTo(writtenRollup.lines());
            assertThat(line(asWritten, "gpt-4o").costUsd()).isEqualTo(writtenCost(ws, "gpt-4o"));
        }
        Reports.Query byDay = new Reports.Query(Reports.By.DAY, first, last, ws, null, null, 50);
        assertThat(ledger.reports().run(byDay, Reports.Source.RAW).lines())
                .isEqualTo(ledger.reports().run(byDay, Reports.Source.ROLLUP).lines());
        assertThat(ledger.reports().run(byDay.asWritten(true), Reports.Source.RAW).lines())
                .isEqualTo(ledger.reports().run(byDay.asWritten(true), Reports.Source.ROLLUP).lines());
        for (Reports.By rawOnly : List.of(Reports.By.SESSION, Reports.By.TIER)) {
            Reports.Report r = ledger.reports().run(new Reports.Query(rawOnly, first, last, ws, null, null, 50));
            assertThat(r.totalCost()).as(rawOnly + " corrected").isEqualTo(privateCost.add(gpt4oCost));
            assertThat(r.lines()).allSatisfy(l -> assertThat(l.unpricedEvents()).isZero());
            Reports.Report w = ledger.reports().run(new Reports.Query(rawOnly, first, last, ws, null, null, 50, true));
            assertThat(w.totalCost()).as(rawOnly + " as written").isEqualTo(writtenCost(ws, "gpt-4o"));
            assertThat(w.lines().stream().mapToLong(Reports.Line::unpricedEvents).sum()).isEqualTo(4);
        }

        TestCli.Run csv = cli.run("report", "--by", "model", "--workspace", ws, "--from", first.toString(), "--to",
                last.toString(), "--format", "csv");
        assertThat(csv.exit()).as(csv.toString()).isZero();
        assertThat(csv.out()).contains(PRIVATE + ",4,0,", privateCost.toPlainString(), gpt4oCost.toPlainString());
        TestCli.Run original = cli.run("report", "--by", "model", "--workspace", ws, "--from", first.toString(), "--to",
                last.toString(), "--as-written");
        assertThat(original.exit()).as(original.toString()).isZero();
        assertThat(original.out()).contains("as written (before corrections)",
                "llm_usage_daily - llm_usage_adjustment", "(+ 4 unpriced calls of unknown cost)");
    }

    @Test
    void explainCostShowsTheWrittenCostEveryAdjustmentWithItsRunAndReasonAndTheCurrentCost() throws Exception {
        UsageEvent e = EVENTS.get("ws-explain").getFirst();
        assertThat(e.model()).isEqualTo(PRIVATE);
        TestCli.Run before = cli.run("explain-cost", "--event-id", e.eventId().toString());
        assertThat(before.exit()).as(before.toString()).isZero();
        assertThat(before.out()).contains("written by batch", ": unpriced", "adjustments: none",
                "current: unpriced (cost unknown)");

        TestCli.Run run = cli.run("reprice", "--from", first.toString(), "--to", last.toString(), "--workspace",
                "ws-explain", "--model", PRIVATE, "--reason", "private model priced", "--json");
        assertThat(run.exit()).as(run.toString()).isZero();
        long runId = Output.JSON.readTree(run.out()).get("run_id").asLong();

        BigDecimal expected = cost(e, PRIVATE_RATES);
        TestCli.Run json = cli.run("explain-cost", "--event-id", e.eventId().toString(), "--json");
        assertThat(json.exit()).as(json.toString()).isZero();
        JsonNode x = Output.JSON.readTree(json.out());
        assertThat(x.get("event_id").asText()).isEqualTo(e.eventId().toString());
        assertThat(x.at("/event/model").asText()).isEqualTo(PRIVATE);
        assertThat(x.at("/event/prompt_tokens").asLong()).isEqualTo(e.promptTokens());
        assertThat(x.at("/written/status").asText()).isEqualTo("unpriced");
        assertThat(x.at("/written/cost").isNull()).isTrue();
        assertThat(x.get("adjustments")).singleElement().satisfies(a -> {
            assertThat(a.get("run_id").asLong()).isEqualTo(runId);
            assertThat(a.get("reason").asText()).isEqualTo("private model priced");
            assertThat(a.get("requested_by").asText()).isEqualTo(RepriceCommand.requestedBy());
            assertThat(a.get("status").asText()).isEqualTo("override");
            assertThat(a.get("override_id").isIntegralNumber()).isTrue();
            assertThat(a.get("unpriced_delta").asLong()).isEqualTo(-1);
            assertThat(a.at("/deltas/cost_usd").asText()).isEqualTo(exact(expected));
        });
        assertThat(x.at("/current/status").asText()).isEqualTo("override");
        assertThat(x.at("/current/cost/cost_usd").asText()).isEqualTo(exact(expected));
        assertThat(x.at("/current/cost/output_cost").asText()).isEqualTo(exact(
                PRIVATE_RATES.get("output_cost_per_token").multiply(BigDecimal.valueOf(e.completionTokens()))));

        TestCli.Run human = cli.run("explain-cost", "--event-id", e.eventId().toString());
        assertThat(human.out()).contains("adjustments (1):", "run " + runId, "private model priced",
                "no longer unpriced", "current: override, " + exact(expected) + " USD");

        UUID unknown = UUID.randomUUID();
        TestCli.Run missing = cli.run("explain-cost", "--event-id", unknown.toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("no event " + unknown + " in llm_usage");
        assertThat(cli.run("explain-cost", "--event-id", "not-a-uuid").exit()).isEqualTo(2);
    }

    @Test
    void reconcileAfterARepriceIsCleanAndShowsTheAdjustmentsOfEachDay() throws Exception {
        TestCli.Run run = cli.run("reprice", "--from", first.toString(), "--to", last.toString(), "--workspace",
                "ws-reconcile");
        assertThat(run.exit()).as(run.toString()).isZero();

        TestCli.Run json = cli.run("reconcile", "--from", first.toString(), "--to", last.toString(), "--json");
        assertThat(json.exit()).as(json.toString()).isZero();
        JsonNode report = Output.JSON.readTree(json.out());
        assertThat(report.get("clean").asBoolean()).isTrue();
        assertThat(report.get("days")).hasSize(2).allSatisfy(day -> {
            JsonNode totals = day.get("totals");
            assertThat(totals.at("/adjusted_pg/cost_usd").asText())
                    .isEqualTo(totals.at("/llm_usage_adjustment/cost_usd").asText());
            assertThat(new BigDecimal(totals.at("/llm_usage_adjustment/cost_usd").asText())).isNotZero();
            assertThat(totals.at("/llm_usage_adjustment/unpriced_events").asLong()).isNegative();
            assertThat(totals.get("llm_usage_adjustment").has("events")).as("only what a correction moves").isFalse();
            assertThat(new BigDecimal(totals.at("/llm_usage_daily/cost_usd").asText()))
                    .isEqualByComparingTo(new BigDecimal(totals.at("/llm_usage/cost_usd").asText())
                            .add(new BigDecimal(totals.at("/llm_usage_adjustment/cost_usd").asText())));
        });

        TestCli.Run human = cli.run("reconcile", "--from", first.toString(), "--to", last.toString());
        assertThat(human.exit()).as(human.toString()).isZero();
        assertThat(human.out()).contains("adjusted USD (pg)", "llm_usage_adjustment USD", "clean:");
    }

    @Test
    void aPricingOverrideFromThePastSaysWhichRepriceRunBackPricingQueuedAndResumeWorksIt() throws Exception {
        Instant past = first.minusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
        TestCli.Run set = backPricingCli.run("pricing", "override", "set", "--model", "acme-private-2", "--from",
                past.toString(), "--cost", "input_cost_per_token=0.000001", "--cost", "output_cost_per_token=0.000004",
                "--note", "private model");
        assertThat(set.exit()).as(set.toString()).isZero();
        Matcher queued = Pattern.compile("back-pricing queued reprice run (\\d+) \\(").matcher(set.out());
        assertThat(queued.find()).as(set.out()).isTrue();
        assertThat(set.out()).contains("acme-private-2", "./tokenledger reprice --resume " + queued.group(1));

        TestCli.Run resumed = cli.run("reprice", "--resume", queued.group(1), "--json");
        assertThat(resumed.exit()).as(resumed.toString()).isZero();
        JsonNode s = Output.JSON.readTree(resumed.out());
        assertThat(s.get("requested_by").asText()).isEqualTo("back-pricing");
        assertThat(s.get("events_adjusted").asLong()).isEqualTo(2);
        assertThat(s.get("unpriced_before").asLong()).isEqualTo(2);
        assertThat(s.get("unpriced_after").asLong()).isZero();

        TestCli.Run nothing = backPricingCli.run("pricing", "override", "set", "--model", "never-recorded-model",
                "--from", past.toString(), "--cost", "input_cost_per_token=0.000001", "--note", "unused");
        assertThat(nothing.out()).contains("back-pricing: no written usage of never-recorded-model");
        TestCli.Run off = cli.run("pricing", "override", "end", "--model", "never-recorded-model", "--at",
                past.plusSeconds(3600).toString());
        assertThat(off.exit()).as(off.toString()).isZero();
        assertThat(off.out()).contains("back-pricing is off (TOKENLEDGER_BACK_PRICING=false)");
    }

    @Test
    void aPricingAliasFromThePastBackPricesTheCallsRecordedUnderItsNameAndEndingItStopsIt() throws Exception {
        Instant past = first.minusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
        assertThat(cli.run("pricing", "cost", "--model", DEPLOYMENT, "--prompt-tokens", "10", "--completion-tokens",
                "1").out()).contains(DEPLOYMENT + ": unpriced", "unknown_model");

        TestCli.Run set = backPricingCli.run("pricing", "alias", "set", DEPLOYMENT, "--model", "gpt-4o", "--from",
                past.toString(), "--reason", "Azure deployment of gpt-4o");
        assertThat(set.exit()).as(set.toString()).isZero();
        assertThat(set.out()).contains(DEPLOYMENT + " priced as gpt-4o from " + past);
        Matcher queued = Pattern.compile("back-pricing queued reprice run (\\d+) \\(").matcher(set.out());
        assertThat(queued.find()).as(set.out()).isTrue();
        TestCli.Run resumed = cli.run("reprice", "--resume", queued.group(1), "--json");
        assertThat(resumed.exit()).as(resumed.toString()).isZero();
        JsonNode s = Output.JSON.readTree(resumed.out());
        assertThat(s.get("events_adjusted").asLong()).isEqualTo(3);
        assertThat(s.get("unpriced_after").asLong()).isZero();
        BigDecimal expected = EVENTS.get("ws-alias").stream().map(e -> cost(e, GPT_4O_RATES))
                .reduce(BigDecimal.ZERO, BigDecimal::add);
        assertThat(s.get("cost_after").asText()).isEqualTo(exact(expected));

        UsageEvent e = EVENTS.get("ws-alias").getFirst();
        JsonNode x = Output.JSON.readTree(cli.run("explain-cost", "--event-id", e.eventId().toString(), "--json").out());
        assertThat(x.at("/written/unpriced_reason").asText()).isEqualTo("unknown_model");
        assertThat(x.at("/adjustments/0/pricing_match").asText()).isEqualTo("alias");
        assertThat(x.at("/current/cost/cost_usd").asText()).isEqualTo(exact(cost(e, GPT_4O_RATES)));

        TestCli.Run cost = cli.run("pricing", "cost", "--model", DEPLOYMENT, "--prompt-tokens", "10",
                "--completion-tokens", "1");
        assertThat(cost.out()).contains("as 'gpt-4o'", "(name matched: alias)");
        JsonNode costJson = Output.JSON.readTree(cli.run("pricing", "cost", "--model", DEPLOYMENT, "--prompt-tokens",
                "10", "--completion-tokens", "1", "--json").out());
        assertThat(costJson.get("model_key").asText()).as("the API's JSON: snake_case").isEqualTo("gpt-4o");
        assertThat(costJson.get("matched_by").asText()).isEqualTo("alias");
        assertThat(costJson.get("total").isTextual()).as("money as an exact decimal string").isTrue();
        JsonNode listed = Output.JSON.readTree(cli.run("pricing", "alias", "list", "--json").out());
        assertThat(listed).anySatisfy(a -> {
            assertThat(a.get("alias").asText()).isEqualTo(DEPLOYMENT);
            assertThat(a.get("model_key").asText()).isEqualTo("gpt-4o");
            assertThat(a.get("valid_to").isNull()).isTrue();
        });
        assertThat(cli.run("pricing", "alias", "list").out()).contains(DEPLOYMENT, "gpt-4o",
                "Azure deployment of gpt-4o");

        assertRefused(cli.run("pricing", "alias", "set", "gpt-4o-mini", "--model", "gpt-4o", "--reason", "x"),
                "'gpt-4o-mini' is a price book model itself");
        assertRefused(cli.run("pricing", "alias", "set", "acme-other", "--model", "gpt-4o-nonexistent", "--reason",
                "x"), "model 'gpt-4o-nonexistent' is not a price book key");

        assertRefused(cli.run("pricing", "alias", "set", DEPLOYMENT, "--model", "gpt-4o-mini", "--from",
                past.minusSeconds(60).toString(), "--reason", "x"), "must start after it");

        TestCli.Run end = cli.run("pricing", "alias", "end", DEPLOYMENT);
        assertThat(end.exit()).as(end.toString()).isZero();
        assertThat(end.out()).contains("ended alias #", DEPLOYMENT + " priced as gpt-4o");
        assertThat(cli.run("pricing", "cost", "--model", DEPLOYMENT, "--prompt-tokens", "10", "--completion-tokens",
                "1").out()).contains(DEPLOYMENT + ": unpriced");
        TestCli.Run again = cli.run("pricing", "alias", "end", DEPLOYMENT);
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.out()).contains("no open alias named " + DEPLOYMENT);
    }

    // ---- fixtures -------------------------------------------------------------------------------------------

    private static UsageEvent event(String workspace, String model, Instant at, int i) {
        return TestEvents.event().workspaceId(workspace).userId("u-" + (i % 2)).model(model)
                .provider(model.startsWith("gpt") ? "openai" : "acme").eventTime(at)
                .promptTokens(1_000 + 37 * i).cachedTokens(100 + i).completionTokens(200 + 11 * i).build();
    }

    /** The documented convention: prompt tokens include the cached ones; each component rounded to 12 places. */
    private static BigDecimal cost(UsageEvent e, Map<String, BigDecimal> rates) {
        return round(rates.get("input_cost_per_token").multiply(BigDecimal.valueOf(e.promptTokens() - e.cachedTokens())))
                .add(round(rates.get("cache_read_input_token_cost").multiply(BigDecimal.valueOf(e.cachedTokens()))))
                .add(round(rates.get("output_cost_per_token").multiply(BigDecimal.valueOf(e.completionTokens()))));
    }

    private static BigDecimal round(BigDecimal v) {
        return v.setScale(12, RoundingMode.HALF_EVEN);
    }

    private static BigDecimal expectedCost(String workspace) {
        return expectedCost(workspace, PRIVATE).add(expectedCost(workspace, "gpt-4o"));
    }

    private static BigDecimal expectedCost(String workspace, String model) {
        return EVENTS.get(workspace).stream().filter(e -> e.model().equals(model))
                .map(e -> cost(e, model.equals(PRIVATE) ? PRIVATE_RATES : GPT_4O_RATES))
                .reduce(BigDecimal.ZERO, BigDecimal::add).setScale(12);
    }

    private static long tokens(String workspace, String model) {
        return EVENTS.get(workspace).stream().filter(e -> e.model().equals(model)).mapToLong(UsageEvent::promptTokens)
                .sum();
    }

    /** What llm_usage holds as written (the rows are never changed). */
    private static BigDecimal writtenCost(String workspace) {
        return writtenCost(workspace, null);
    }

    private static BigDecimal writtenCost(String workspace, String model) {
        return clickHouse.query("SELECT sum(ifNull(cost_usd, toDecimal128(0, 12))) AS c FROM llm_usage"
                        + " WHERE workspace_id = {ws:String}" + (model == null ? "" : " AND model = {m:String}"),
                model == null ? Map.of("ws", workspace) : Map.of("ws", workspace, "m", model)).getFirst().decimal("c")
                .setScale(12);
    }

    private static long adjustments(String workspace) {
        return clickHouse.query("SELECT count() AS n FROM llm_usage_adjustment WHERE workspace_id = {ws:String}",
                Map.of("ws", workspace)).getFirst().int64("n");
    }

    private static Reports.Line line(Reports.Report report, String key) {
        return report.lines().stream().filter(l -> l.key().equals(key)).findFirst()
                .orElseThrow(() -> new AssertionError("no line " + key + " in " + report.lines()));
    }

    private static String exact(BigDecimal v) {
        return Output.exact(v);
    }

    private static void assertRefused(TestCli.Run run, String message) {
        assertThat(run.exit()).as(run.toString()).isEqualTo(2);
        assertThat(run.err()).as(run.toString()).contains(message);
        assertThat(run.out()).doesNotContain("reprice run");
    }
}
