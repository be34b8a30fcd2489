package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.pricing.CostComponents;
import dev.tokenledger.pricing.PricedCost;
import dev.tokenledger.pricing.Pricing;
import dev.tokenledger.pricing.ServiceTier;
import dev.tokenledger.pricing.TokenUsage;
import org.jobrunr.jobs.mappers.JobMapper;
import org.jobrunr.storage.InMemoryStorageProvider;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;
import dev.tokenledger.usage.EventCost;
import dev.tokenledger.usage.EventPricer;
import dev.tokenledger.usage.TokenLedger;
import dev.tokenledger.usage.RepriceRequest;
import dev.tokenledger.usage.Repricer;
import dev.tokenledger.usage.UsageEvent;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.UUID;

/**
 * Re-pricing written usage at scale (issue 14): {@value #FULL_ROWS} events in llm_usage (quick: {@value #QUICK_ROWS})
 * generated inside ClickHouse as in the queries scenario, at synthetic per-model rates, then re-priced against the
 * ledger's price book (the bundled LiteLLM snapshot) by {@link Repricer}: a run over the whole range, every event
 * examined (month by month, in chunks of the table's sort order), an adjustment appended for each whose cost moved. Against it, in the same run, the naive design: the same
 * correction as ClickHouse {@code ALTER TABLE … UPDATE} mutations (one per model) on a copy of the same rows.
 *
 * <p>Also measured, to say what limits the run: a dry run (read and price, nothing written), the pricer alone on
 * events held in memory, ClickHouse producing the events' columns into nothing ({@code FORMAT Null}), and a second
 * run over the same range that finds nothing to change (the common case of back-pricing). Checked: the first run
 * adjusts what the dry run said; for a sample of events the written cost plus the adjustments equals a fresh price
 * from {@link Pricing}; the second run adjusts nothing; and the naive copy ends with the same cost per model as
 * llm_usage plus llm_usage_adjustment. The scenario does not depend on how {@link Repricer} reads.
 */
final class RepriceScenario implements Scenario {
    static final long FULL_ROWS = 10_000_000;
    static final long QUICK_ROWS = 200_000;
    static final double TARGET_EVENTS_PER_SECOND = 500_000;
    private static final long CHUNK = 1_000_000;
    private static final int SAMPLE = 1_000;
    private static final String NAIVE = "llm_usage_naive";
    /** What re-pricing an event needs of llm_usage: its identity, dimensions, tokens and current cost. */
    private static final String READ_COLUMNS = "event_id, event_time, user_id, workspace_id, agent_id, model,"
            + " provider, session_id, service_tier, prompt_tokens, completion_tokens, total_tokens,"
            + " tool_use_prompt_tokens, thoughts_tokens, cached_tokens, cache_creation_tokens, cache_creation_1h_tokens,"
            + " audio_prompt_tokens, audio_completion_tokens, cost_status, pricing_model, pricing_id, pricing_override_id,"
            + " input_cost, cached_input_cost, cache_creation_cost, output_cost, reasoning_cost, audio_cost,"
            + " tool_use_cost, cost_usd";
    private static final String BASELINE = "the same correction as ALTER TABLE … UPDATE mutations, one per model"
            + " (rewrites parts in place: no history or audit, not exactly-once, one rate card per model: no tiers)";

    @Override
    public String name() {
        return "reprice";
    }

    @Override
    public String description() {
        return "re-pricing written events (events examined/s) vs the same correction as ClickHouse ALTER UPDATE"
                + " mutations at " + FULL_ROWS / 1_000_000 + "M rows";
    }

    @Override
    public void run(BenchContext ctx, ScenarioResult result) throws Exception {
        BenchProgress progress = ctx.progress();
        long rows = ctx.count(QUICK_ROWS, FULL_ROWS);
        try (Ledger ledger = ctx.env().openLedger("reprice", Ledger.Mode.CLIENT)) {
            ClickHouse ch = ledger.clickHouse();
            Pricing pricing = ledger.pricing();
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("rows", rows);
            result.detail("data", data);

            // The book must price every generated model but the last (and the rates must be one card per model
            // over the range, which the naive mutations assume).
            Map<String, Rates> rates = rates(pricing, now);
            data.put("book_rates_usd_per_token", ratesJson(rates));

            long t0 = System.nanoTime();
            for (long offset = 0; offset < rows; offset += CHUNK) {
                long done = offset;
                progress.step("generating " + rows + " rows inside ClickHouse",
                        () -> String.format(Locale.US, "%,d rows", done));
                ch.execute(QueriesScenario.generate(offset, Math.min(CHUNK, rows - offset), now));
            }
            data.put("generate_seconds", Latencies.round((System.nanoTime() - t0) / 1e9));
            progress.step("copying the rows for the baseline (" + NAIVE + ")");
            t0 = System.nanoTime();
            ch.execute("CREATE TABLE " + NAIVE + " AS llm_usage");
            ch.execute("INSERT INTO " + NAIVE + " SETTINGS insert_deduplicate = 0 SELECT * FROM llm_usage");
            data.put("baseline_copy_seconds", Latencies.round((System.nanoTime() - t0) / 1e9));
            progress.step("letting background merges settle");
            QueriesScenario.settle(ch, ctx.quick() ? 1 : 30);

            Row range = ch.query("SELECT count() AS n, toString(toDate(min(event_time))) AS lo,"
                    + " toString(toDate(max(event_time))) AS hi, uniqExact(toDate(event_time)) AS days FROM llm_usage")
                    .getFirst();
            if (range.int64("n") != rows) {
                throw new IllegalStateException("generated " + range.int64("n") + " rows, expected " + rows);
            }
            LocalDate from = LocalDate.parse(range.string("lo"));
            LocalDate to = LocalDate.parse(range.string("hi"));
            data.put("days", range.int64("days"));
            data.put("range", from + " .. " + to);
            // The ledger's repricer as the library wires it (this ledger's PostgreSQL, price book and clock), over a
            // ClickHouse that adds up the time each call takes: a run's ClickHouse time by kind (reads, inserts,
            // checks), whatever the repricer's reads look like. Its jobs go to a JobRunr storage in memory that no
            // server reads: the runs run here, in this thread, not in the ledger's workers.
            TimedClickHouse timed = new TimedClickHouse(ch);
            InMemoryStorageProvider unread = new InMemoryStorageProvider();
            unread.setJobMapper(new JobMapper(new JacksonJsonMapper()));
            TokenLedger timedLedger = TokenLedger.builder().postgres(ledger.postgres().dataSource()).clickHouse(timed)
                    .clock(ledger.clock()).writer(ledger.config().writer().withBackPricing(false))
                    .hostJobRunr(unread).migrate(false).bundledPrices(false).build();
            Repricer repricer = timedLedger.repricer();
            RepriceRequest request = new RepriceRequest(from, to, List.of(), false, null,
                    "bench: written at synthetic rates, re-priced at the book's", "bench");
            CpuMeter meter = ctx.env().cpuMeter();
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();

            // A warm-up (the JIT, chDB's caches), then read + price, nothing written.
            progress.step("warming up: a dry run over the first days");
            repricer.dryRun(new RepriceRequest(from, from.plusDays(Math.min(4, ChronoUnit.DAYS.between(from, to))),
                    List.of(), false, null, "bench: warm-up", "bench"));
            progress.step("dry run over " + String.format(Locale.US, "%,d", rows) + " events (read + price)");
            Phase dry = Phase.start(meter, threads, timed);
            Repricer.Summary summary = repricer.dryRun(request);
            dry = dry.stop(meter, threads, timed);
            if (summary.eventsExamined() != rows) {
                throw new IllegalStateException("the dry run examined " + summary.eventsExamined() + " of " + rows
                        + " events");
            }

            // The run: read, price, append the adjustments, record each day.
            java.util.concurrent.atomic.AtomicLong examinedSoFar = new java.util.concurrent.atomic.AtomicLong();
            progress.step("re-pricing " + String.format(Locale.US, "%,d", rows) + " events (first run)",
                    () -> String.format(Locale.US, "%,d events examined", examinedSoFar.get()));
            Map<String, Long> threads0 = CpuMeter.threadTicks();
            Phase first = Phase.start(meter, threads, timed);
            Repricer.Run run = repricer.run(repricer.start(request).runId(), examinedSoFar::addAndGet);
            first = first.stop(meter, threads, timed);
            Map<String, Object> shares = CpuMeter.threadShares(threads0, CpuMeter.threadTicks());
            long adjustments = ch.query("SELECT count() AS n FROM llm_usage_adjustment").getFirst().int64("n");
            if (!run.status().equals("done") || run.eventsExamined() != rows
                    || run.eventsAdjusted() != summary.eventsAdjusted() || adjustments != run.eventsAdjusted()
                    || run.costAfter().compareTo(summary.costAfter()) != 0) {
                throw new IllegalStateException("the run (" + run.status() + ", " + run.eventsExamined()
                        + " examined, " + run.eventsAdjusted() + " adjusted, cost after " + run.costAfter()
                        + ", " + adjustments + " rows in llm_usage_adjustment) does not match its dry run ("
                        + summary.eventsExamined() + ", " + summary.eventsAdjusted() + ", " + summary.costAfter() + ")");
            }
            if (run.eventsAdjusted() == 0) {
                throw new IllegalStateException("the run adjusted nothing: the synthetic rates equal the book's");
            }

            // The steady state: nothing changed since.
            java.util.concurrent.atomic.AtomicLong examinedAgain = new java.util.concurrent.atomic.AtomicLong();
            progress.step("re-pricing the same range again (nothing changed)",
                    () -> String.format(Locale.US, "%,d events examined", examinedAgain.get()));
            Phase second = Phase.start(meter, threads, timed);
            Repricer.Run again = repricer.run(repricer.start(new RepriceRequest(from, to, List.of(), false, null,
                    "bench: nothing changed since", "bench")).runId(), examinedAgain::addAndGet);
            second = second.stop(meter, threads, timed);
            if (again.eventsExamined() != rows || again.eventsAdjusted() != 0) {
                throw new IllegalStateException("the second run examined " + again.eventsExamined() + " and adjusted "
                        + again.eventsAdjusted() + " events; expected " + rows + " and 0");
            }
            timedLedger.close(); // (on a failure above the scenario fails; its threads are daemons)

            progress.step("checking " + SAMPLE + " events against a fresh price");
            int sampled = checkSample(ch, pricing);

            // Where the time goes: the pricer alone, and ClickHouse producing the columns alone.
            progress.step("timing the pricer alone (events in memory)");
            double priceNs = priceNanos(ch, ledger.pricer(), (int) Math.min(rows, ctx.count(50_000, 200_000)));
            progress.step("timing ClickHouse producing the events' columns in sort order, a month at a time (FORMAT Null)");
            double engineDaysSeconds = engineRead(ch, from, to, true);
            progress.step("timing ClickHouse producing the events' columns in one pass (FORMAT Null)");
            double engineOnePassSeconds = engineRead(ch, from, to, false);

            // The naive design on the copy.
            Map<String, Object> naive = new LinkedHashMap<>();
            progress.step("baseline: ALTER TABLE " + NAIVE + " UPDATE …, one mutation per model");
            Row parts = ch.query("SELECT count() AS parts FROM system.parts WHERE database = currentDatabase()"
                    + " AND table = '" + NAIVE + "' AND active").getFirst();
            naive.put("parts_before", parts.int64("parts"));
            Phase mutations = Phase.start(meter, threads, timed);
            Map<String, Object> perModel = new LinkedHashMap<>();
            for (Map.Entry<String, Rates> e : rates.entrySet()) {
                long m0 = System.nanoTime();
                ch.execute(mutation(e.getKey(), e.getValue()));
                perModel.put(e.getKey(), Latencies.round((System.nanoTime() - m0) / 1e9));
            }
            mutations = mutations.stop(meter, threads, timed);
            naive.put("design", "ALTER TABLE " + NAIVE + " UPDATE <cost columns> = <tokens x the model's base rates>"
                    + " WHERE model = <m> SETTINGS mutations_sync = 2, one per priced model, on a copy of llm_usage");
            naive.put("handles", "uncached input, cache reads, output and reasoning at one rate card per model");
            naive.put("does_not_handle", "context tiers, service tiers, cache writes, audio, tool use, overrides,"
                    + " effective dates (one price per model over the whole table), the rollup (llm_usage_daily is"
                    + " fed at insert: a mutation leaves it stale), history (the written cost is overwritten),"
                    + " exactly-once (a mutation killed midway leaves some parts rewritten, a retry rewrites again)");
            naive.put("mutations", rates.size());
            naive.put("seconds_per_mutation", perModel);
            naive.put("seconds", Latencies.round(mutations.seconds()));
            naive.put("events_per_s", Math.round(rows / mutations.seconds()));
            naive.put("cpu", cpu(mutations, rows));
            checkNaiveAgrees(ch);
            naive.put("same_cost_per_model_as_the_ledger", true);

            double runRate = rows / first.seconds();
            double againRate = rows / second.seconds();
            double dryRate = rows / dry.seconds();
            double naiveRate = rows / mutations.seconds();
            result.add(Figure.of("events_examined_per_s", String.format(Locale.US, "events re-priced/s (examined),"
                            + " first run: %,d of %,d adjusted", run.eventsAdjusted(), rows), runRate, "events/s",
                    Figure.Better.HIGHER).target(Figure.Target.atLeast(TARGET_EVENTS_PER_SECOND))
                    .baseline(naiveRate, BASELINE));
            result.add(Figure.of("unchanged_events_per_s", "events/s, second run (nothing changed: 0 adjusted)",
                    againRate, "events/s", Figure.Better.HIGHER).target(Figure.Target.atLeast(TARGET_EVENTS_PER_SECOND))
                    .baseline(naiveRate, BASELINE));
            result.add(Figure.of("dry_run_events_per_s", "events/s, dry run (read + price, nothing written)",
                    dryRate, "events/s", Figure.Better.HIGHER));
            result.add(Figure.of("clickhouse_share", "share of the first run's time spent in ClickHouse calls",
                    100 * first.clickHouse().clickHouseSeconds() / first.seconds(), "%", Figure.Better.LOWER));
            result.add(Figure.of("engine_one_pass_events_per_s", "ClickHouse handing over the columns in one pass"
                    + " (FORMAT Null): events/s", rows / engineOnePassSeconds, "events/s", Figure.Better.HIGHER)
                    .baseline(rows / engineDaysSeconds, "in llm_usage's sort order, a month at a time, as a run reads"));
            result.add(Figure.of("price_ns", "pricing one event alone (in memory)", priceNs, "ns",
                    Figure.Better.LOWER));
            result.add(Figure.of("cpu_us_per_event", "CPU per event, first run (JVM incl. chDB + PostgreSQL)",
                    first.cpuNanos() / 1e3 / rows, "us", Figure.Better.LOWER)
                    .baseline(mutations.cpuNanos() / 1e3 / rows, "the same mutations"));

            Map<String, Object> runs = new LinkedHashMap<>();
            runs.put("dry_run", phase(dry, rows, summary.eventsAdjusted()));
            Map<String, Object> firstJson = phase(first, rows, run.eventsAdjusted());
            firstJson.put("run_id", run.runId());
            firstJson.put("chunks", run.chunksDone());
            firstJson.put("cost_before", run.costBefore().toPlainString());
            firstJson.put("cost_after", run.costAfter().toPlainString());
            firstJson.put("unpriced_before", summary.unpricedBefore());
            firstJson.put("unpriced_after", summary.unpricedAfter());
            firstJson.put("jvm_threads_percent", shares);
            runs.put("first_run", firstJson);
            Map<String, Object> againJson = phase(second, rows, again.eventsAdjusted());
            againJson.put("run_id", again.runId());
            runs.put("second_run", againJson);
            result.detail("runs", runs);
            double us = 1e6 / rows;
            TimedClickHouse.Totals f = first.clickHouse();
            double rest = first.seconds() - f.clickHouseSeconds();
            Map<String, Object> profile = new LinkedHashMap<>();
            profile.put("first_run_us_per_event", Latencies.round(first.seconds() * us));
            profile.put("clickhouse_reads_us_per_event (query + decoding into memory)",
                    Latencies.round(f.seconds("reads") * us));
            profile.put("clickhouse_inserts_us_per_event (adjustments, and the rollup through its view)",
                    Latencies.round(f.seconds("inserts") * us));
            profile.put("clickhouse_small_queries_us_per_event (counts and sums per day)",
                    Latencies.round((f.seconds("small_queries") + f.seconds("statements")) * us));
            profile.put("rest_us_per_event (building events, pricing, comparing, encoding, PostgreSQL)",
                    Latencies.round(rest * us));
            profile.put("pricing_alone_us_per_event", Latencies.round(priceNs / 1e3));
            profile.put("engine_sort_order_by_month_us_per_event (FORMAT Null, ORDER BY the sort key)",
                    Latencies.round(engineDaysSeconds * us));
            profile.put("engine_one_pass_us_per_event (FORMAT Null, no order)", Latencies.round(engineOnePassSeconds * us));
            profile.put("dry_run_us_per_event", Latencies.round(dry.seconds() * us));
            profile.put("second_run_us_per_event", Latencies.round(second.seconds() * us));
            result.detail("profile", profile);
            result.detail("baseline", naive);
            result.detail("checks", Map.of("sampled_events_equal_a_fresh_price", sampled,
                    "adjustments_equal_dry_run", true, "second_run_adjusted", 0,
                    "naive_cost_per_model_equals_ledger", true));

            result.note(String.format(Locale.US, "%,d events over %d days: first run %.1f s (%,.0f events/s, %,d"
                            + " adjusted), again %.1f s (%,.0f events/s, 0 adjusted), dry run %.1f s; mutations %.1f s"
                            + " (%,.0f events/s)", rows, range.int64("days"), first.seconds(), runRate,
                    run.eventsAdjusted(), second.seconds(), againRate, dry.seconds(), mutations.seconds(), naiveRate));
            result.note(String.format(Locale.US, "first run, per event %.2f µs: ClickHouse reads %.2f (the engine"
                            + " alone, in sort order: %.2f; in one pass: %.2f), inserts %.2f, per-chunk checks %.2f;"
                            + " the rest %.2f (pricing alone %.2f); the run's thread was on CPU %.0f%% of the time,"
                            + " the JVM (incl. chDB) used %.2f cores", first.seconds() * us, f.seconds("reads") * us,
                    engineDaysSeconds * us, engineOnePassSeconds * us, f.seconds("inserts") * us,
                    (f.seconds("small_queries") + f.seconds("statements")) * us, rest * us, priceNs / 1e3,
                    100.0 * first.threadCpuNanos() / first.nanos(), first.jvmCpuNanos() / (double) first.nanos()));
            result.note("a run reads each month in chunks of " + String.format(Locale.US, "%,d", Repricer.CHUNK)
                    + " events in llm_usage's sort order (user, workspace, time, event), each a key range: ClickHouse"
                    + " reads about 1.2 rows per event handed over; reading a day at a time read its whole month per day"
                    + " (llm_usage is sorted by user first), 25 times the table over a month");
            result.note("checked: " + sampled + " sampled events cost what the book prices them now (written +"
                    + " adjustments); the second run adjusted 0; the mutated copy has the ledger's cost per model");
        }
    }

    /** A model's base rates in the book (USD per token), and the price row that carries them. */
    private record Rates(String provider, String key, long priceRowId, BigDecimal input, BigDecimal cacheRead,
                         BigDecimal output, BigDecimal reasoning) {
    }

    /**
     * The book's rates of each generated model, read back through {@link Pricing#priceEvent} (1,000 tokens of one
     * kind at a time, well below any context tier): what the naive mutations compute with. Checks that every model
     * but the unpriced one is priced, by one price row over the whole 30 days.
     */
    private static Map<String, Rates> rates(Pricing pricing, Instant now) {
        Map<String, Rates> out = new LinkedHashMap<>();
        long at = now.toEpochMilli();
        long monthAgo = now.minus(Duration.ofDays(31)).toEpochMilli();
        BigDecimal thousand = BigDecimal.valueOf(1000);
        int unpriced = BenchTraffic.MODELS.length - 1;
        for (int i = 0; i < BenchTraffic.MODELS.length; i++) {
            String model = BenchTraffic.MODELS[i][0];
            String provider = BenchTraffic.MODELS[i][1];
            PricedCost probe = pricing.priceEvent(model, provider, at, TokenUsage.of(1000, 1000));
            if (i == unpriced) {
                if (probe.isPriced()) {
                    throw new IllegalStateException(model + " is priced by the book; the scenario expects it unpriced");
                }
                continue;
            }
            if (!probe.isPriced()) {
                throw new IllegalStateException("the bundled price book does not price " + model + " (" + provider
                        + "): " + probe.reason());
            }
            PricedCost early = pricing.priceEvent(model, provider, monthAgo, TokenUsage.of(1000, 1000));
            if (!java.util.Objects.equals(early.priceRowId(), probe.priceRowId())) {
                throw new IllegalStateException(model + " has more than one price row over the range: the naive"
                        + " mutations assume one");
            }
            CostComponents input = probe.components();
            CostComponents cached = pricing.priceEvent(model, provider, at,
                    new TokenUsage(1000, 0, 1000, 0, 0, 0, 0, 0, 0, ServiceTier.STANDARD)).components();
            CostComponents reasoning = pricing.priceEvent(model, provider, at,
                    new TokenUsage(0, 1000, 0, 0, 0, 0, 1000, 0, 0, ServiceTier.STANDARD)).components();
            out.put(model, new Rates(provider, probe.modelKey(), probe.priceRowId() == null ? 0 : probe.priceRowId(),
                    input.input().divide(thousand).stripTrailingZeros(),
                    cached.cachedInput().divide(thousand).stripTrailingZeros(),
                    input.output().divide(thousand).stripTrailingZeros(),
                    reasoning.reasoning().divide(thousand).stripTrailingZeros()));
        }
        return out;
    }

    private static Map<String, Object> ratesJson(Map<String, Rates> rates) {
        Map<String, Object> out = new LinkedHashMap<>();
        rates.forEach((m, r) -> out.put(m, Map.of("key", r.key(), "input", r.input().toPlainString(),
                "cache_read", r.cacheRead().toPlainString(), "output", r.output().toPlainString(),
                "reasoning", r.reasoning().toPlainString())));
        return out;
    }

    /**
     * The naive correction of one model: every cost component the generated rows carry recomputed from the token
     * columns with the model's base rates, in place. Handles uncached input, cache reads, output and reasoning at
     * one rate card per model; keeps cache writes, audio and tool use as written (the generated rows have none);
     * knows nothing of context tiers, service tiers, overrides or effective dates.
     */
    private static String mutation(String model, Rates r) {
        String input = money("prompt_tokens - cached_tokens - cache_creation_tokens - cache_creation_1h_tokens"
                + " - audio_prompt_tokens", r.input());
        String cached = money("cached_tokens", r.cacheRead());
        String output = money("completion_tokens - thoughts_tokens - audio_completion_tokens", r.output());
        String reasoning = money("thoughts_tokens", r.reasoning());
        String kept = "ifNull(cache_creation_cost, toDecimal128(0, 12)) + ifNull(audio_cost, toDecimal128(0, 12))"
                + " + ifNull(tool_use_cost, toDecimal128(0, 12))";
        String type = "Nullable(Decimal(38, 12))";
        return "ALTER TABLE " + NAIVE + " UPDATE"
                + " input_cost = CAST(" + input + " AS " + type + "),"
                + " cached_input_cost = CAST(" + cached + " AS " + type + "),"
                + " output_cost = CAST(" + output + " AS " + type + "),"
                + " reasoning_cost = CAST(" + reasoning + " AS " + type + "),"
                + " cost_usd = CAST(" + input + " + " + cached + " + " + output + " + " + reasoning + " + " + kept
                + " AS " + type + "),"
                + " cost_status = 'priced', pricing_model = " + literal(r.key()) + ", pricing_id = " + r.priceRowId()
                + " WHERE model = " + literal(model) + " SETTINGS mutations_sync = 2";
    }

    /** {@code tokens × rate}, exact when the rate has at most 12 decimals (every rate of these models). */
    private static String money(String tokens, BigDecimal rate) {
        int scale = Math.max(12, rate.scale());
        return "CAST(toDecimal128(" + tokens + ", 0) * toDecimal128('" + rate.toPlainString() + "', " + scale
                + ") AS Decimal(38, 12))";
    }

    private static String literal(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** The mutated copy holds, per model, the cost llm_usage plus llm_usage_adjustment hold: the same correction. */
    private static void checkNaiveAgrees(ClickHouse ch) {
        Map<String, BigDecimal> ledger = new HashMap<>();
        for (Row r : ch.query("SELECT model, sum(c) AS cost FROM (SELECT model, ifNull(cost_usd, toDecimal128(0, 12))"
                + " AS c FROM llm_usage UNION ALL SELECT model, cost_usd AS c FROM llm_usage_adjustment) GROUP BY model")) {
            ledger.put(r.string("model"), r.decimal("cost"));
        }
        Map<String, BigDecimal> naive = new HashMap<>();
        for (Row r : ch.query("SELECT model, sum(ifNull(cost_usd, toDecimal128(0, 12))) AS cost FROM " + NAIVE
                + " GROUP BY model")) {
            naive.put(r.string("model"), r.decimal("cost"));
        }
        if (!ledger.keySet().equals(naive.keySet())) {
            throw new IllegalStateException("models differ: ledger " + ledger.keySet() + ", naive " + naive.keySet());
        }
        for (String m : ledger.keySet()) {
            if (ledger.get(m).compareTo(naive.get(m)) != 0) {
                throw new IllegalStateException("model " + m + ": the ledger's current cost is " + ledger.get(m)
                        + ", the mutated copy's " + naive.get(m));
            }
        }
    }

    /**
     * For {@value #SAMPLE} events spread over the table: the cost written plus the adjustments appended (read here
     * with SQL of its own) equals the price the book gives the event now. Returns the number checked.
     */
    private static int checkSample(ClickHouse ch, Pricing pricing) {
        StringJoiner ids = new StringJoiner(",", "[", "]");
        for (Row r : ch.query("SELECT toString(event_id) AS id FROM llm_usage ORDER BY cityHash64(event_id) LIMIT "
                + SAMPLE)) {
            ids.add("'" + r.string("id") + "'");
        }
        Map<String, String> p = Map.of("ids", ids.toString());
        Map<String, Row> adjusted = new HashMap<>();
        for (Row r : ch.query("SELECT toString(event_id) AS id, count() AS n, sum(cost_usd) AS delta,"
                + " toString(argMax(cost_status, run_id)) AS status FROM llm_usage_adjustment"
                + " WHERE event_id IN {ids:Array(UUID)} GROUP BY event_id", p)) {
            adjusted.put(r.string("id"), r);
        }
        int checked = 0;
        for (Row u : ch.query("SELECT toString(event_id) AS id, toString(event_time) AS at, model, provider,"
                + " prompt_tokens, completion_tokens, cached_tokens, cache_creation_tokens, cache_creation_1h_tokens,"
                + " audio_prompt_tokens, thoughts_tokens, audio_completion_tokens, tool_use_prompt_tokens, service_tier,"
                + " toString(cost_status) AS status, cost_usd FROM llm_usage WHERE event_id IN {ids:Array(UUID)}", p)) {
            TokenUsage usage = new TokenUsage(u.int64("prompt_tokens"), u.int64("completion_tokens"),
                    u.int64("cached_tokens"), u.int64("cache_creation_tokens"), u.int64("cache_creation_1h_tokens"),
                    u.int64("audio_prompt_tokens"), u.int64("thoughts_tokens"), u.int64("audio_completion_tokens"),
                    u.int64("tool_use_prompt_tokens"), ServiceTier.parse(u.string("service_tier")));
            PricedCost fresh = pricing.priceEvent(u.string("model"), u.string("provider"),
                    u.instant("at").toEpochMilli(), usage);
            Row a = adjusted.get(u.string("id"));
            String status = a == null ? u.string("status") : a.string("status");
            BigDecimal current = (u.isNull("cost_usd") ? BigDecimal.ZERO : u.decimal("cost_usd"))
                    .add(a == null ? BigDecimal.ZERO : a.decimal("delta"));
            boolean ok = fresh.isPriced() ? !status.equals("unpriced") && current.compareTo(fresh.total()) == 0
                    : status.equals("unpriced");
            if (!ok) {
                throw new IllegalStateException("event " + u.string("id") + " (" + u.string("model") + "): now "
                        + status + " " + current.toPlainString() + " after " + (a == null ? 0 : a.int64("n"))
                        + " adjustment(s), the book prices it " + (fresh.isPriced() ? fresh.total().toPlainString()
                        : "unpriced"));
            }
            checked++;
        }
        if (checked != SAMPLE) {
            throw new IllegalStateException("checked " + checked + " of " + SAMPLE + " sampled events");
        }
        return checked;
    }

    /**
     * Nanoseconds per event of the ledger's pricer ({@link Ledger#pricer()}, as the repricer uses it) on
     * {@code n} events built from llm_usage and held in memory: the best of five passes after a warm-up.
     */
    private static double priceNanos(ClickHouse ch, EventPricer pricer, int n) {
        List<UsageEvent> events = new ArrayList<>(n);
        for (Row r : ch.query("SELECT toString(event_id) AS id, toString(event_time) AS at, user_id, workspace_id,"
                + " model, provider, service_tier, prompt_tokens, completion_tokens, cached_tokens, thoughts_tokens"
                + " FROM llm_usage LIMIT " + n)) {
            events.add(UsageEvent.builder().eventId(UUID.fromString(r.string("id"))).eventTime(r.instant("at"))
                    .userId(r.string("user_id")).workspaceId(r.string("workspace_id")).model(r.string("model"))
                    .provider(r.string("provider")).serviceTier(r.string("service_tier"))
                    .promptTokens(r.int64("prompt_tokens")).completionTokens(r.int64("completion_tokens"))
                    .cachedTokens(r.int64("cached_tokens")).thoughtsTokens(r.int64("thoughts_tokens")).build());
        }
        double best = Double.MAX_VALUE;
        long sink = 0;
        for (int pass = -2; pass < 5; pass++) {
            long t = System.nanoTime();
            for (UsageEvent e : events) {
                EventCost c = pricer.price(e);
                sink += c.pricingId();
            }
            if (pass >= 0) {
                best = Math.min(best, (System.nanoTime() - t) / (double) events.size());
            }
        }
        if (sink == 42) {
            System.out.print(""); // keeps the loop's result alive
        }
        return best;
    }

    /**
     * Seconds ClickHouse takes to produce every column a re-price needs of every event in the range, into nothing
     * ({@code FORMAT Null}): the engine's share of reading, whatever the client does after. {@code inOrder}: a query
     * per month in the table's sort order, as a run reads it (in chunks); else one query over the range, in no order.
     * A {@code FORMAT Null} query returns no rows, so it runs as a statement; the bounds are the bench's own dates,
     * written into the SQL as the {@code DateTime64(3, 'UTC')} values a parameter would bind.
     */
    private static double engineRead(ClickHouse ch, LocalDate from, LocalDate to, boolean inOrder) {
        String sql = "SELECT " + READ_COLUMNS + " FROM llm_usage"
                + " WHERE event_time >= toDateTime64('%s 00:00:00.000', 3, 'UTC')"
                + " AND event_time < toDateTime64('%s 00:00:00.000', 3, 'UTC')"
                + (inOrder ? " ORDER BY user_id, workspace_id, event_time, event_id SETTINGS max_threads = 1,"
                        + " max_block_size = 8192, read_in_order_use_buffering = 0" : "") + " FORMAT Null";
        long t = System.nanoTime();
        try {
            for (LocalDate d = from; !d.isAfter(to); d = inOrder ? d.withDayOfMonth(1).plusMonths(1) : to.plusDays(1)) {
                LocalDate end = inOrder ? min(d.withDayOfMonth(1).plusMonths(1), to.plusDays(1)) : to.plusDays(1);
                ch.execute(sql.formatted(d, end));
            }
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(RepriceScenario.class).warn("FORMAT Null read not measured", e);
            return Double.NaN;
        }
        return (System.nanoTime() - t) / 1e9;
    }

    private static LocalDate min(LocalDate a, LocalDate b) {
        return a.isBefore(b) ? a : b;
    }

    /**
     * Wall time, the process's CPU (JVM incl. chDB, and PostgreSQL), this thread's CPU and the time spent in
     * ClickHouse calls over one phase.
     */
    private record Phase(CpuMeter.Sample start, long threadStart, TimedClickHouse.Totals chStart, CpuMeter.Sample cpu,
                         long threadCpuNanos, TimedClickHouse.Totals clickHouse) {
        static Phase start(CpuMeter meter, ThreadMXBean threads, TimedClickHouse ch) {
            return new Phase(meter.sample(), threads.getCurrentThreadCpuTime(), ch.totals(), null, 0, null);
        }

        Phase stop(CpuMeter meter, ThreadMXBean threads, TimedClickHouse ch) {
            return new Phase(start, threadStart, chStart, meter.sample().minus(start),
                    threads.getCurrentThreadCpuTime() - threadStart, ch.totals().minus(chStart));
        }

        long nanos() {
            return cpu.nanoTime();
        }

        double seconds() {
            return cpu.nanoTime() / 1e9;
        }

        long jvmCpuNanos() {
            return cpu.javaCpuNanos();
        }

        long cpuNanos() {
            return cpu.javaCpuNanos() + Math.max(0, cpu.postgresCpuNanos());
        }
    }

    private static Map<String, Object> phase(Phase p, long rows, long adjusted) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seconds", Latencies.round(p.seconds()));
        m.put("events_examined", rows);
        m.put("events_adjusted", adjusted);
        m.put("events_per_s", Math.round(rows / p.seconds()));
        m.put("cpu", cpu(p, rows));
        m.put("clickhouse_calls", p.clickHouse().json());
        return m;
    }

    private static Map<String, Object> cpu(Phase p, long rows) {
        Map<String, Object> m = CatchUpScenario.cpu(p.cpu(), rows, null);
        m.put("run_thread_us_per_event", Latencies.round(p.threadCpuNanos() / 1e3 / rows));
        m.put("run_thread_cpu_share_of_wall", Latencies.round(p.threadCpuNanos() / (double) p.nanos()));
        return m;
    }
}
