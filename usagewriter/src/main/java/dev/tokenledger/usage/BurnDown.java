package dev.tokenledger.usage;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A budget's period as it burns down: the exact cumulative spend (usage plus corrections, as {@link Budgets} counts
 * it) at each step of the period so far, and where the period's average pace so far takes it by the period's end.
 *
 * <p>Steps are hours for a daily budget and UTC days for a weekly or monthly one (the rollup's days; a period in another
 * time zone adds a point where it starts or ends inside a UTC day). The first point is the period's start at zero; the
 * last is {@code asOf}, which is now for the current period and the period's end for a past one.
 *
 * <p>The <b>forecast</b> is a straight line: {@code spend × period length ÷ time elapsed}, the pace of the period so
 * far kept to its end (for a finished period, its spend). {@code exhaustedAt} is when the limit was reached (the first
 * point at or over it) or, not reached yet, when the pace reaches it before the period ends; null otherwise.
 *
 * @param unpricedEvents calls in the period so far without a price: not in any amount, never counted as $0 silently
 */
public record BurnDown(Budget budget, Instant periodStart, Instant periodEnd, Instant asOf, List<Point> points,
                       BigDecimal spendUsd, long unpricedEvents, BigDecimal forecastUsd, boolean forecastOver,
                       Instant exhaustedAt) {

    /** The spend from the period's start up to {@code at}. */
    public record Point(Instant at, BigDecimal spendUsd) {
    }

    public BurnDown {
        points = List.copyOf(points);
    }

    /**
     * The burn-down of {@code points} (cumulative, in time order, the first at the period's start, the last at
     * {@code asOf}) with its forecast.
     */
    public static BurnDown of(Budget budget, Budget.Window period, List<Point> points, long unpricedEvents) {
        Point last = points.getLast();
        Instant asOf = last.at();
        BigDecimal spend = last.spendUsd();
        long elapsed = Duration.between(period.start(), asOf).toMillis();
        long length = Duration.between(period.start(), period.end()).toMillis();
        BigDecimal forecast = elapsed <= 0 || elapsed >= length ? spend
                : spend.multiply(BigDecimal.valueOf(length)).divide(BigDecimal.valueOf(elapsed), UsageRows.COST_SCALE,
                        RoundingMode.HALF_EVEN);
        Instant exhausted = null;
        if (spend.compareTo(budget.limitUsd()) >= 0) {
            exhausted = points.stream().filter(p -> p.spendUsd().compareTo(budget.limitUsd()) >= 0).findFirst()
                    .orElseThrow().at();
        } else if (forecast.compareTo(budget.limitUsd()) >= 0 && spend.signum() > 0) {
            // At the same pace the limit is reached after elapsed × limit / spend.
            long toLimit = BigDecimal.valueOf(elapsed).multiply(budget.limitUsd())
                    .divide(spend, 0, RoundingMode.CEILING).longValueExact();
            exhausted = period.start().plusMillis(toLimit);
        }
        return new BurnDown(budget, period.start(), period.end(), asOf, points, spend, unpricedEvents, forecast,
                forecast.compareTo(budget.limitUsd()) >= 0, exhausted);
    }
}
