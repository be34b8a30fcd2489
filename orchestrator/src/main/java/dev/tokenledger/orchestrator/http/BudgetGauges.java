package dev.tokenledger.orchestrator.http;

import dev.tokenledger.usage.Budgets;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.List;

/**
 * Every budget's current period, as this process's last refresh saw it (memory, no database read):
 * {@code tokenledger_budget_spend_usd}, {@code tokenledger_budget_limit_usd}, {@code tokenledger_budget_ratio}
 * (spend / limit; alert on {@code >= 0.8}) and {@code tokenledger_budget_unpriced_events}, tagged by budget and
 * workspace. A deleted budget's series go away at the next scrape.
 */
final class BudgetGauges {
    private final Budgets budgets;
    private final MultiGauge spend;
    private final MultiGauge limit;
    private final MultiGauge ratio;
    private final MultiGauge unpriced;

    BudgetGauges(Budgets budgets, MeterRegistry registry) {
        this.budgets = budgets;
        this.spend = MultiGauge.builder("tokenledger.budget.spend.usd")
                .description("Spend of the budget's current period in USD (usage plus corrections; unpriced calls"
                        + " not included)").register(registry);
        this.limit = MultiGauge.builder("tokenledger.budget.limit.usd").description("The budget's limit in USD")
                .register(registry);
        this.ratio = MultiGauge.builder("tokenledger.budget.ratio")
                .description("Spend / limit of the budget's current period (1 = at the limit)").register(registry);
        this.unpriced = MultiGauge.builder("tokenledger.budget.unpriced.events")
                .description("Calls in the budget's current period whose cost is unknown (not in the spend)")
                .register(registry);
    }

    void refresh() {
        List<Budgets.Status> all = budgets.statuses();
        spend.register(rows(all, s -> s.spendUsd().doubleValue()), true);
        limit.register(rows(all, s -> s.budget().limitUsd().doubleValue()), true);
        ratio.register(rows(all, s -> s.ratio().doubleValue()), true);
        unpriced.register(rows(all, s -> (double) s.unpricedEvents()), true);
    }

    private static List<MultiGauge.Row<?>> rows(List<Budgets.Status> all,
                                                java.util.function.ToDoubleFunction<Budgets.Status> value) {
        return all.stream().<MultiGauge.Row<?>>map(s -> MultiGauge.Row.of(Tags.of("budget", s.budget().name(),
                "workspace", s.budget().workspace()), value.applyAsDouble(s))).toList();
    }
}
