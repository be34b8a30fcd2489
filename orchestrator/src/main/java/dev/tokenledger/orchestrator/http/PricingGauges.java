package dev.tokenledger.orchestrator.http;

import dev.tokenledger.usage.Reports;
import dev.tokenledger.pricing.PricingFlag;
import dev.tokenledger.pricing.UnpricedReason;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How well this UTC month's usage is priced, from ClickHouse, as it stands now (reprice corrections included): the
 * events, the unpriced ones in total, as a share and by reason, and the flagged ones by flag ({@link
 * Reports#pricingQuality}). Read at most every {@link #MIN_INTERVAL} however often /metrics is scraped; NaN when
 * ClickHouse does not answer.
 */
final class PricingGauges {
    private static final Logger LOG = LoggerFactory.getLogger(PricingGauges.class);
    static final Duration MIN_INTERVAL = Duration.ofSeconds(10);
    private static final List<String> REASONS = java.util.stream.Stream.concat(
            Arrays.stream(UnpricedReason.values()).map(UnpricedReason::wireName), java.util.stream.Stream.of(
                    Reports.NOT_RECORDED)).toList();
    private static final List<String> FLAGS = Arrays.stream(PricingFlag.values()).map(PricingFlag::wireName).toList();

    private final Reports reports;
    private final InstantSource clock;
    private final MultiGauge unpricedByReason;
    private final MultiGauge flaggedByFlag;
    private volatile Reports.PricingQuality quality;
    private volatile long nextReadAt = Long.MIN_VALUE;

    PricingGauges(Reports reports, InstantSource clock, MeterRegistry registry) {
        this.reports = reports;
        this.clock = clock;
        Gauge.builder("tokenledger.usage.events", this, g -> g.quality == null ? Double.NaN : g.quality.events())
                .description("Events recorded this UTC month (llm_usage_daily)").register(registry);
        Gauge.builder("tokenledger.usage.unpriced.share", this, PricingGauges::unpricedShare)
                .description("Share of this UTC month's events whose cost is unknown (0..1), corrections included")
                .register(registry);
        this.unpricedByReason = MultiGauge.builder("tokenledger.usage.unpriced.events")
                .description("This UTC month's events whose cost is unknown, by unpriced_reason, corrections included")
                .register(registry);
        this.flaggedByFlag = MultiGauge.builder("tokenledger.usage.flagged.events")
                .description("This UTC month's priced events by pricing flag (unknown_service_tier,"
                        + " service_tier_not_priced), corrections included").register(registry);
    }

    private double unpricedShare() {
        Reports.PricingQuality q = quality;
        return q == null ? Double.NaN : q.events() == 0 ? 0 : (double) q.unpricedEvents() / q.events();
    }

    void refresh() {
        long now = clock.millis();
        if (now < nextReadAt) {
            return;
        }
        nextReadAt = now + MIN_INTERVAL.toMillis();
        try {
            LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
            Reports.PricingQuality q = reports.pricingQuality(today.withDayOfMonth(1), today, null);
            quality = q;
            unpricedByReason.register(rows("reason", REASONS, q.unpricedByReason()), true);
            flaggedByFlag.register(rows("flag", FLAGS, q.flaggedByFlag()), true);
        } catch (RuntimeException e) {
            quality = null;
            unpricedByReason.register(List.of(), true);
            flaggedByFlag.register(List.of(), true);
            LOG.debug("pricing metrics unavailable: {}", e.toString());
        }
    }

    /** Every known code gets a series, 0 when none: an alert on {@code > 0} then has a series to watch. */
    private static List<MultiGauge.Row<?>> rows(String tag, List<String> known, Map<String, Long> counts) {
        Map<String, Long> all = new TreeMap<>();
        known.forEach(k -> all.put(k, 0L));
        all.putAll(counts);
        return all.entrySet().stream()
                .<MultiGauge.Row<?>>map(e -> MultiGauge.Row.of(Tags.of(tag, e.getKey()), e.getValue()))
                .toList();
    }
}
