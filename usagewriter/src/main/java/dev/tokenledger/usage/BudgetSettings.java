package dev.tokenledger.usage;

import java.time.Duration;
import java.util.Objects;

/**
 * How budgets are watched.
 *
 * @param refreshInterval how often every process re-reads the budgets and their spend (default 1 s): a check lags
 *                        the ledger by this plus the writer's delay into ClickHouse
 * @param webhookSecret   the HMAC-SHA256 key alert webhooks are signed with (TOKENLEDGER_BUDGET_WEBHOOK_SECRET);
 *                        null: alerts are delivered unsigned. Never logged, never in {@link #toString()}
 * @param webhookTimeout  how long one webhook delivery may take before it counts as failed (then JobRunr retries)
 */
public record BudgetSettings(Duration refreshInterval, String webhookSecret, Duration webhookTimeout) {
    public static final Duration DEFAULT_REFRESH = Duration.ofSeconds(1);
    public static final Duration DEFAULT_WEBHOOK_TIMEOUT = Duration.ofSeconds(10);
    public static final BudgetSettings DEFAULTS = new BudgetSettings(DEFAULT_REFRESH, null, DEFAULT_WEBHOOK_TIMEOUT);

    public BudgetSettings {
        Objects.requireNonNull(refreshInterval, "refreshInterval");
        Objects.requireNonNull(webhookTimeout, "webhookTimeout");
        if (refreshInterval.toMillis() < 50) {
            throw new IllegalArgumentException("refreshInterval must be at least 50 ms, got " + refreshInterval);
        }
        if (webhookSecret != null && webhookSecret.isBlank()) {
            webhookSecret = null;
        }
    }

    public BudgetSettings withWebhookSecret(String secret) {
        return new BudgetSettings(refreshInterval, secret, webhookTimeout);
    }

    public BudgetSettings withRefreshInterval(Duration interval) {
        return new BudgetSettings(interval, webhookSecret, webhookTimeout);
    }

    @Override
    public String toString() {
        return "BudgetSettings[refreshInterval=" + refreshInterval + ", webhookSecret="
                + (webhookSecret == null ? "none" : "(set)") + ", webhookTimeout=" + webhookTimeout + "]";
    }
}
