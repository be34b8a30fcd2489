package dev.tokenledger.orchestrator.http;

import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.pricing.RefreshOutcome;
import dev.tokenledger.usage.RecordResult;
import dev.tokenledger.usage.UsageWriteListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What {@code GET /metrics} shows, in Prometheus' text format through Micrometer. Counters are fed by
 * listeners on the recorder and the usage writer; the numbers that live in PostgreSQL (backlog, JobRunr
 * jobs by state, pricing refresh runs, unresolved dead letters, late duplicates) are read once per scrape by
 * {@link DatabaseGauges}, how well this month is priced (unpriced share and reasons, flags) from ClickHouse by
 * {@link PricingGauges}. Nothing here reads configuration, so no secret can reach the output.
 */
final class LedgerMetrics implements AutoCloseable {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    /** Bound while the HTTP API records, so the recorder's listener leaves those events to the HTTP count. */
    private static final ScopedValue<Boolean> OVER_HTTP = ScopedValue.newInstance();

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<RecordResult.Status, Counter> http = new EnumMap<>(RecordResult.Status.class);
    private final Map<RecordResult.Status, Counter> java = new EnumMap<>(RecordResult.Status.class);
    private final DatabaseGauges database;
    private final PricingGauges pricing;
    private final BudgetGauges budgets;
    private final JvmGcMetrics gc = new JvmGcMetrics();

    LedgerMetrics(Ledger ledger) {
        for (RecordResult.Status s : RecordResult.Status.values()) {
            http.put(s, eventsCounter("http", s));
            java.put(s, eventsCounter("java", s));
        }
        ledger.recorder().onRecorded(results -> {
            if (!OVER_HTTP.isBound()) {
                count(java, results);
            }
        });
        ledger.writer().ifPresent(w -> w.addListener(writeListener()));

        this.database = new DatabaseGauges(ledger);
        Gauge.builder("tokenledger.backlog.events", database, g -> g.backlog().pendingEvents())
                .description("Events accepted but not yet in ClickHouse").register(registry);
        Gauge.builder("tokenledger.backlog.batches", database, g -> g.backlog().unwrittenBatches())
                .description("Sealed batches not yet written").register(registry);
        Gauge.builder("tokenledger.backlog.oldest", database, g -> g.backlog().oldestPendingSeconds())
                .baseUnit("seconds").description("Age of the oldest event not yet in ClickHouse").register(registry);
        for (String state : DatabaseGauges.JOB_STATES) {
            Gauge.builder("tokenledger.jobrunr.jobs", database, g -> g.jobs(state)).tag("state", state)
                    .description("JobRunr jobs (usage_write, pricing_refresh, usage_purge) by state").register(registry);
        }
        for (RefreshOutcome o : RefreshOutcome.values()) {
            Gauge.builder("tokenledger.pricing.refresh.runs", database, g -> g.refreshes(o)).tag("outcome", o.wireName())
                    .description("pricing_refresh runs in pricing_refresh_log by outcome").register(registry);
        }
        Gauge.builder("tokenledger.pricing.refresh.last.success.age", database, DatabaseGauges::lastGoodRefreshSeconds)
                .baseUnit("seconds").description("Time since the last successful pricing_refresh").register(registry);
        Gauge.builder("tokenledger.dead.letters.unresolved", database, DatabaseGauges::deadLettersUnresolved)
                .description("Dead letters waiting for an admin to replay or discard them (./tokenledger dead-letters)")
                .register(registry);
        FunctionCounter.builder("tokenledger.late.duplicates", database, DatabaseGauges::lateDuplicates)
                .description("Events not written because llm_usage already held their event_id from an earlier batch"
                        + " (usage_duplicate)")
                .register(registry);
        Gauge.builder("tokenledger.pricing.models", ledger.pricing(), p -> p.modelCount())
                .description("Models the price book can price").register(registry);
        this.pricing = new PricingGauges(ledger.reports(), ledger.clock(), registry);
        this.budgets = new BudgetGauges(ledger.budgets(), registry);

        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    private Counter eventsCounter(String path, RecordResult.Status status) {
        return Counter.builder("tokenledger.events")
                .description("Usage events handed to the ledger, by how they came (http, java) and what became of them")
                .tag("path", path).tag("outcome", status.name().toLowerCase(Locale.ROOT))
                .register(registry);
    }

    private UsageWriteListener writeListener() {
        Counter written = Counter.builder("tokenledger.events.written")
                .description("Events written to ClickHouse (each once, by the usage_write job of its batch)")
                .register(registry);
        DistributionSummary batchSize = DistributionSummary.builder("tokenledger.usage.write.batch")
                .baseUnit("events").description("Events per written batch").register(registry);
        Timer writeTime = Timer.builder("tokenledger.usage.write")
                .description("Time of a successful usage_write attempt").register(registry);
        Counter failures = Counter.builder("tokenledger.usage.write.failures")
                .description("Failed usage_write attempts (JobRunr retries them)").register(registry);
        return new UsageWriteListener() {
            @Override
            public void written(long batchId, int events, long nanos) {
                written.increment(events);
                batchSize.record(events);
                writeTime.record(nanos, TimeUnit.NANOSECONDS);
            }

            @Override
            public void failed(long batchId, RuntimeException error) {
                failures.increment();
            }
        };
    }

    /** Records through {@code call} counting its events as HTTP ones (the caller counts them). */
    List<RecordResult> recordOverHttp(Supplier<List<RecordResult>> call) {
        return ScopedValue.where(OVER_HTTP, Boolean.TRUE).call(call::get);
    }

    void countHttp(List<RecordResult> results) {
        count(http, results);
    }

    private static void count(Map<RecordResult.Status, Counter> counters, List<RecordResult> results) {
        for (RecordResult r : results) {
            counters.get(r.status()).increment();
        }
    }

    /** One HTTP request, by route template (never the raw path: ids in paths would explode the series). */
    void request(String method, String route, int status, float millis) {
        Timer.builder("tokenledger.http.requests")
                .description("HTTP requests by method, route and status")
                .tag("method", method).tag("route", route).tag("status", Integer.toString(status))
                .register(registry)
                .record((long) (millis * 1_000_000L), TimeUnit.NANOSECONDS);
    }

    /** The Prometheus text, with the database numbers read now. */
    String scrape() {
        database.refresh();
        pricing.refresh();
        budgets.refresh();
        return registry.scrape();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
