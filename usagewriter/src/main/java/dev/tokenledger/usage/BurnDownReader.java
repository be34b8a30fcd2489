package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Row;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a budget's {@link BurnDown} from ClickHouse: spend per step of its period, from the same tables and with the
 * same scope as {@link Budgets} reads its spend. A daily budget's hours come from {@code llm_usage} plus
 * {@code llm_usage_adjustment} (one day of rows); a weekly or monthly one's whole UTC days from the
 * {@code llm_usage_daily} rollup, and the partial UTC days where a period in another zone starts or ends from the raw
 * tables, so every point is exact.
 */
final class BurnDownReader {
    private static final Duration HOUR = Duration.ofHours(1);

    private final ClickHouse clickHouse;

    BurnDownReader(ClickHouse clickHouse) {
        this.clickHouse = clickHouse;
    }

    /** {@code budget}'s burn-down in the period {@code at} falls in, up to {@code now} (or the period's end). */
    BurnDown read(Budget budget, Instant at, Instant now) {
        Budget.Window w = budget.window(at);
        Instant asOf = now.isBefore(w.end()) ? now : w.end();
        if (!asOf.isAfter(w.start())) { // a period that has not begun: nothing spent, nothing to forecast
            return BurnDown.of(budget, w, List.of(new BurnDown.Point(w.start(), zero())), 0);
        }
        Map<String, String> params = new HashMap<>();
        String scope = Budgets.scopeSql(budget, "", params);
        List<Step> steps = budget.period() == Budget.Period.DAY ? hours(w, asOf) : days(w, asOf);
        String sql = budget.period() == Budget.Period.DAY ? hourSql(scope, w, asOf, params)
                : daySql(scope, w, asOf, params);
        Map<Instant, Row> byStepEnd = new HashMap<>();
        for (Row r : clickHouse.query(sql, params)) {
            byStepEnd.put(stepEnd(steps, r.instant("step_start")), r);
        }
        List<BurnDown.Point> points = new ArrayList<>(steps.size() + 1);
        points.add(new BurnDown.Point(w.start(), zero()));
        BigDecimal cumulative = zero();
        long unpriced = 0;
        for (Step s : steps) {
            Row r = byStepEnd.get(s.end);
            if (r != null) {
                cumulative = cumulative.add(r.decimal("cost")).setScale(UsageRows.COST_SCALE, RoundingMode.UNNECESSARY);
                unpriced += r.int64("unpriced");
            }
            points.add(new BurnDown.Point(s.end, cumulative));
        }
        return BurnDown.of(budget, w, points, unpriced);
    }

    private record Step(Instant start, Instant end) {
    }

    private static Instant stepEnd(List<Step> steps, Instant stepStart) {
        for (Step s : steps) {
            if (!stepStart.isBefore(s.start) && stepStart.isBefore(s.end)) {
                return s.end;
            }
        }
        throw new IllegalStateException("ClickHouse answered a step starting at " + stepStart
                + " that is not in the period");
    }

    /** Hours from the period's start (a DST day has 23 or 25), the last cut at {@code asOf}. */
    private static List<Step> hours(Budget.Window w, Instant asOf) {
        List<Step> steps = new ArrayList<>();
        for (Instant s = w.start(); s.isBefore(asOf); s = s.plus(HOUR)) {
            steps.add(new Step(s, min(s.plus(HOUR), asOf)));
        }
        return steps;
    }

    /** UTC days, the first starting at the period's start and the last cut at {@code asOf}. */
    private static List<Step> days(Budget.Window w, Instant asOf) {
        List<Step> steps = new ArrayList<>();
        Instant s = w.start();
        while (s.isBefore(asOf)) {
            Instant nextMidnight = LocalDate.ofInstant(s, ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC)
                    .toInstant();
            Instant e = min(nextMidnight, asOf);
            steps.add(new Step(s, e));
            s = e;
        }
        return steps;
    }

    private static String hourSql(String scope, Budget.Window w, Instant asOf, Map<String, String> params) {
        params.put("from", Long.toString(w.start().toEpochMilli()));
        params.put("to", Long.toString(asOf.toEpochMilli()));
        // Hours counted from the period's start, not the UTC clock: a zone half an hour off UTC keeps whole hours.
        String step = "fromUnixTimestamp64Milli({from:Int64} + intDiv(toUnixTimestamp64Milli(event_time) - {from:Int64},"
                + " 3600000) * 3600000, 'UTC')";
        String when = "event_time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND event_time <"
                + " fromUnixTimestamp64Milli({to:Int64}, 'UTC') AND " + scope;
        return "SELECT step_start, toDecimal128(sum(cost), 12) AS cost, toInt64(sum(unpriced)) AS unpriced FROM ("
                + "SELECT " + step + " AS step_start, toDecimal128(sum(cost_usd), 12) AS cost,"
                + " toInt64(countIf(cost_status = 'unpriced')) AS unpriced FROM llm_usage WHERE " + when
                + " GROUP BY step_start UNION ALL SELECT " + step + " AS step_start, toDecimal128(sum(cost_usd), 12)"
                + " AS cost, toInt64(sum(unpriced_delta)) AS unpriced FROM llm_usage_adjustment WHERE " + when
                + " GROUP BY step_start) GROUP BY step_start";
    }

    private static String daySql(String scope, Budget.Window w, Instant asOf, Map<String, String> params) {
        LocalDate firstDay = LocalDate.ofInstant(w.start(), ZoneOffset.UTC);
        Instant firstMidnight = firstDay.atStartOfDay(ZoneOffset.UTC).toInstant();
        if (!firstMidnight.equals(w.start())) {
            firstDay = firstDay.plusDays(1);
        }
        LocalDate endDay = LocalDate.ofInstant(w.end(), ZoneOffset.UTC); // whole UTC days end here; the rest is raw
        List<String> parts = new ArrayList<>();
        List<String> raw = new ArrayList<>();
        if (firstDay.isBefore(endDay)) {
            // Whole days up to the one asOf falls in (a day starting at asOf has no step yet).
            LocalDate asOfDay = LocalDate.ofInstant(asOf, ZoneOffset.UTC);
            LocalDate daysUntil = asOfDay.atStartOfDay(ZoneOffset.UTC).toInstant().equals(asOf) ? asOfDay
                    : asOfDay.plusDays(1);
            params.put("d0", firstDay.toString());
            params.put("d1", (daysUntil.isBefore(endDay) ? daysUntil : endDay).toString());
            parts.add("SELECT toDateTime64(day, 3, 'UTC') AS step_start, toDecimal128(sum(cost_usd), 12) AS cost,"
                    + " toInt64(sum(unpriced_events)) AS unpriced FROM llm_usage_daily WHERE day >= {d0:Date}"
                    + " AND day < {d1:Date} AND " + scope + " GROUP BY day");
            Budgets.rawRange(raw, params, "a", w.start(), firstDay.atStartOfDay(ZoneOffset.UTC).toInstant());
            Budgets.rawRange(raw, params, "b", endDay.atStartOfDay(ZoneOffset.UTC).toInstant(), w.end());
        } else {
            Budgets.rawRange(raw, params, "a", w.start(), w.end());
        }
        params.put("asOf", Long.toString(asOf.toEpochMilli()));
        if (!raw.isEmpty()) {
            // A partial day's rows are dated by their UTC day; the step they fall in is found by its start.
            String step = "greatest(toDateTime64(toDate(event_time), 3, 'UTC'), fromUnixTimestamp64Milli({start:Int64},"
                    + " 'UTC'))";
            params.put("start", Long.toString(w.start().toEpochMilli()));
            String when = "(" + String.join(" OR ", raw) + ") AND event_time < fromUnixTimestamp64Milli({asOf:Int64},"
                    + " 'UTC') AND " + scope;
            parts.add("SELECT " + step + " AS step_start, toDecimal128(ifNull(sum(cost_usd), 0), 12) AS cost,"
                    + " toInt64(countIf(cost_status = 'unpriced')) AS unpriced FROM llm_usage WHERE " + when
                    + " GROUP BY step_start");
            parts.add("SELECT " + step + " AS step_start, toDecimal128(sum(cost_usd), 12) AS cost,"
                    + " toInt64(sum(unpriced_delta)) AS unpriced FROM llm_usage_adjustment WHERE " + when
                    + " GROUP BY step_start");
        }
        return "SELECT step_start, toDecimal128(sum(cost), 12) AS cost, toInt64(sum(unpriced)) AS unpriced FROM ("
                + String.join(" UNION ALL ", parts) + ") GROUP BY step_start";
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private static BigDecimal zero() {
        return BigDecimal.ZERO.setScale(UsageRows.COST_SCALE);
    }
}
