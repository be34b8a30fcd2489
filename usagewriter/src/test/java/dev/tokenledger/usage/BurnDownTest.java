package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A budget's burn-down: the exact spend at each step of its period, and the forecast to the period's end. */
class BurnDownTest {
    private static PostgresDatabase postgres;
    private static ClickHouse clickHouse;
    private static TokenLedger ledger;

    @BeforeAll
    static void start() {
        postgres = TestPostgres.freshDatabase("burn_down");
        clickHouse = TestClickHouse.embedded("burn_down");
        ledger = TokenLedger.builder().postgres(postgres.dataSource()).clickHouse(clickHouse).build().start();
    }

    @AfterAll
    static void stop() {
        ledger.close();
        clickHouse.close();
        postgres.close();
    }

    private static Budget budget(String workspace, Budget.Period period, ZoneId zone, String limit) {
        return new Budget(workspace + "-" + period.label(), workspace, null, null, null, period, zone,
                new BigDecimal(limit), null, false, null);
    }

    private static UsageEvent at(String workspace, Instant time, String model) {
        return TestEvents.event().workspaceId(workspace).model(model).eventTime(time).build();
    }

    /** Records the events and waits until ClickHouse holds them all. */
    private static void recordAndAwait(String workspace, UsageEvent... events) {
        ledger.recorder().record(events);
        TestPipeline.await(() -> rawCount(workspace) == events.length, Duration.ofSeconds(60),
                () -> rawCount(workspace) + " of " + events.length + " events written");
    }

    private static long rawCount(String workspace) {
        return clickHouse.query("SELECT count() AS n FROM llm_usage WHERE workspace_id = {ws:String}",
                Map.of("ws", workspace)).getFirst().int64("n");
    }

    /** The written cost of the workspace's events in [from, to), summed from llm_usage itself (not the rollup). */
    private static BigDecimal rawCost(String workspace, Instant from, Instant to) {
        Row r = clickHouse.query("SELECT toDecimal128(sum(cost_usd), 12) AS cost FROM llm_usage WHERE workspace_id ="
                + " {ws:String} AND event_time >= fromUnixTimestamp64Milli({f:Int64}, 'UTC') AND event_time <"
                + " fromUnixTimestamp64Milli({t:Int64}, 'UTC')", Map.of("ws", workspace,
                "f", Long.toString(from.toEpochMilli()), "t", Long.toString(to.toEpochMilli()))).getFirst();
        return r.decimal("cost").setScale(12); // the text format drops trailing zeros
    }

    @Test
    void aPastMonthsBurnDownHoldsTheExactSpendAtEveryUtcMidnightAndItsForecastIsWhatWasSpent() {
        String ws = "ws-burn-month";
        YearMonth month = YearMonth.now(ZoneOffset.UTC).minusMonths(1);
        Instant start = month.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        Instant day2 = start.plus(1, ChronoUnit.DAYS).plus(10, ChronoUnit.HOURS);
        Instant day5 = start.plus(4, ChronoUnit.DAYS).plus(23, ChronoUnit.HOURS);
        recordAndAwait(ws, at(ws, day2, "gpt-4o"), at(ws, day5, "gpt-4o"), at(ws, day5.plusSeconds(1), "gpt-4o-mini"),
                at(ws, day5, "no-such-model-xyz"));
        BigDecimal firstDay = rawCost(ws, start, start.plus(2, ChronoUnit.DAYS));
        BigDecimal all = rawCost(ws, start, start.plus(31, ChronoUnit.DAYS));
        // A limit passed on day 5: the burn-down says when.
        Budget b = budget(ws, Budget.Period.MONTH, Budget.UTC, firstDay.add(new BigDecimal("0.000001")).toPlainString());

        BurnDown burn = ledger.budgets().burnDown(b, day2);

        assertThat(burn.periodStart()).isEqualTo(start);
        assertThat(burn.periodEnd()).isEqualTo(month.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant());
        assertThat(burn.asOf()).as("a past period is read to its end").isEqualTo(burn.periodEnd());
        assertThat(burn.points()).hasSize(month.lengthOfMonth() + 1);
        assertThat(burn.points().getFirst()).isEqualTo(new BurnDown.Point(start, BigDecimal.ZERO.setScale(12)));
        assertThat(burn.points().get(1).spendUsd()).as("day 1: nothing").isEqualByComparingTo("0");
        assertThat(burn.points().get(2)).as("the 3rd at 00:00: day 2's call")
                .isEqualTo(new BurnDown.Point(start.plus(2, ChronoUnit.DAYS), firstDay));
        assertThat(burn.points().get(5).spendUsd()).as("the 6th at 00:00: everything").isEqualTo(all);
        assertThat(burn.points().getLast().spendUsd()).isEqualTo(all);
        assertThat(burn.spendUsd()).isEqualTo(all);
        assertThat(burn.unpricedEvents()).as("the unpriced call is counted apart, not as $0").isEqualTo(1);
        assertThat(burn.forecastUsd()).as("a finished period's forecast is its spend").isEqualTo(all);
        assertThat(burn.forecastOver()).isTrue();
        assertThat(burn.exhaustedAt()).as("the limit was passed during day 5")
                .isEqualTo(start.plus(5, ChronoUnit.DAYS));
    }

    @Test
    void aMonthInAnotherZoneStartsInsideAUtcDayAndCountsOnlyItsOwnPartOfIt() {
        String ws = "ws-burn-kolkata";
        ZoneId kolkata = ZoneId.of("Asia/Kolkata");
        YearMonth month = YearMonth.now(kolkata).minusMonths(1);
        Instant start = month.atDay(1).atStartOfDay(kolkata).toInstant(); // 18:30 UTC the day before
        recordAndAwait(ws, at(ws, start.minus(1, ChronoUnit.HOURS), "gpt-4o"), // the month before, in Kolkata
                at(ws, start.plus(1, ChronoUnit.HOURS), "gpt-4o"), // the first step: 18:30 → 00:00 UTC
                at(ws, start.plus(3, ChronoUnit.DAYS), "gpt-4o-mini"));
        Budget b = budget(ws, Budget.Period.MONTH, kolkata, "1000");

        BurnDown burn = ledger.budgets().burnDown(b, start);

        Instant firstMidnight = start.truncatedTo(ChronoUnit.DAYS).plus(1, ChronoUnit.DAYS);
        assertThat(burn.points().get(1)).as("the partial first UTC day, from the raw table")
                .isEqualTo(new BurnDown.Point(firstMidnight, rawCost(ws, start, firstMidnight)));
        assertThat(burn.points().get(1).spendUsd()).isPositive();
        assertThat(burn.spendUsd()).isEqualTo(rawCost(ws, start, burn.periodEnd()));
        assertThat(burn.points().getLast().at()).isEqualTo(burn.periodEnd());
        assertThat(burn.points()).as("every step ends at a UTC midnight, but the last at the period's end")
                .allSatisfy(p -> assertThat(p.at().equals(start) || p.at().equals(burn.periodEnd())
                        || p.at().equals(p.at().truncatedTo(ChronoUnit.DAYS))).isTrue());
    }

    @Test
    void todaysBurnDownForADailyBudgetGoesHourByHourUpToNowAndEndsAtTheSpendTheCheckSees() {
        String ws = "ws-burn-day";
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Instant dayStart = now.truncatedTo(ChronoUnit.DAYS);
        recordAndAwait(ws, at(ws, dayStart, "gpt-4o"), at(ws, now.minusMillis(1), "gpt-4o-mini"));
        Budget b = budget(ws, Budget.Period.DAY, Budget.UTC, "1000");

        BurnDown burn = ledger.budgets().burnDown(b, Instant.now());

        assertThat(burn.periodStart()).isEqualTo(dayStart);
        assertThat(burn.points().size()).as("one point per hour begun, and the start")
                .isEqualTo(2 + (int) Duration.between(dayStart, burn.asOf()).toHours());
        assertThat(burn.points().get(1).spendUsd()).as("the first hour holds the midnight call")
                .isEqualTo(rawCost(ws, dayStart, dayStart.plus(1, ChronoUnit.HOURS)));
        assertThat(burn.spendUsd()).isEqualTo(ledger.budgets().current(b).spendUsd());
        assertThat(burn.forecastUsd()).isGreaterThanOrEqualTo(burn.spendUsd());
    }

    @Test
    void theForecastKeepsThePaceOfThePeriodSoFarAndSaysWhenItReachesTheLimit() {
        Budget b = budget("ws-forecast", Budget.Period.DAY, Budget.UTC, "100");
        Budget.Window day = b.window(Instant.parse("2026-11-10T12:00:00Z"));
        Instant noon = Instant.parse("2026-11-10T12:00:00Z");

        BurnDown calm = BurnDown.of(b, day, List.of(new BurnDown.Point(day.start(), BigDecimal.ZERO),
                new BurnDown.Point(noon, new BigDecimal("30"))), 0);
        assertThat(calm.forecastUsd()).isEqualByComparingTo("60");
        assertThat(calm.forecastOver()).isFalse();
        assertThat(calm.exhaustedAt()).isNull();

        BurnDown hot = BurnDown.of(b, day, List.of(new BurnDown.Point(day.start(), BigDecimal.ZERO),
                new BurnDown.Point(noon, new BigDecimal("60"))), 0);
        assertThat(hot.forecastUsd()).isEqualByComparingTo("120");
        assertThat(hot.forecastOver()).isTrue();
        assertThat(hot.exhaustedAt()).as("60 in 12 h: 100 after 20 h").isEqualTo(Instant.parse("2026-11-10T20:00:00Z"));

        BurnDown idle = BurnDown.of(b, day, List.of(new BurnDown.Point(day.start(), BigDecimal.ZERO)), 0);
        assertThat(idle.forecastUsd()).as("no time elapsed: nothing to extrapolate").isEqualByComparingTo("0");
        assertThat(idle.exhaustedAt()).isNull();
    }
}
