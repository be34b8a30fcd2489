package dev.tokenledger.usage;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What became of a batch's events, per event day: each accepted event is written, dead-lettered or a late
 * duplicate, and the written ones add up to every {@link Measure}. Stored with the written mark
 * (usage_written_day), it is the PostgreSQL side of reconcile.
 */
final class BatchTally {
    /** One day of a batch. */
    static final class Day {
        long accepted;
        long deadLettered;
        long duplicates;
        final Map<Measure, BigDecimal> written = zeros();

        long written() {
            return written.get(Measure.EVENTS).longValueExact();
        }

        Map<Measure, BigDecimal> measures() {
            return Collections.unmodifiableMap(written);
        }
    }

    private final Map<LocalDate, Day> days = new TreeMap<>();

    void accepted(Instant eventTime) {
        day(eventTime).accepted++;
    }

    void deadLettered(Instant eventTime) {
        day(eventTime).deadLettered++;
    }

    void duplicate(Instant eventTime) {
        day(eventTime).duplicates++;
    }

    void written(PricedEvent event) {
        Map<Measure, BigDecimal> sums = day(event.event().eventTime()).written;
        for (Measure m : Measure.values()) {
            sums.merge(m, m.of(event), BigDecimal::add);
        }
    }

    Map<LocalDate, Day> days() {
        return Collections.unmodifiableMap(days);
    }

    long written() {
        return days.values().stream().mapToLong(Day::written).sum();
    }

    private Day day(Instant eventTime) {
        return days.computeIfAbsent(LocalDate.ofInstant(eventTime, ZoneOffset.UTC), d -> new Day());
    }

    private static Map<Measure, BigDecimal> zeros() {
        Map<Measure, BigDecimal> m = new EnumMap<>(Measure.class);
        for (Measure x : Measure.values()) {
            m.put(x, BigDecimal.ZERO);
        }
        return m;
    }
}
