package dev.tokenledger.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenledger.usage.Budget;
import dev.tokenledger.usage.Budgets;
import dev.tokenledger.usage.InvalidBudgetException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A budget as JSON, the same for {@code GET /v1/budgets} and {@code budget list --json}: its definition, and its
 * current period's status when the process has one (amounts as decimal strings, like every amount tokenledger prints).
 */
public record BudgetJson(String name, String workspace, String user, String agent, String model, String period,
                         String timeZone, BigDecimal limitUsd, List<BigDecimal> thresholds, boolean hard,
                         String webhookUrl, Status status) {

    /** The current period: spend (usage plus corrections), unpriced calls counted apart, and when it resets. */
    public record Status(Instant periodStart, Instant resetsAt, BigDecimal spendUsd, BigDecimal remainingUsd,
                         BigDecimal ratio, long unpricedEvents, boolean over, boolean allowed, Instant asOf) {
        public static Status of(Budgets.Status s) {
            return new Status(s.periodStart(), s.resetsAt(), s.spendUsd(), s.remainingUsd(), s.ratio(),
                    s.unpricedEvents(), s.over(), !s.stops(), s.asOf());
        }
    }

    public static BudgetJson of(Budget b, Budgets.Status status) {
        return new BudgetJson(b.name(), b.workspace(), b.user(), b.agent(), b.modelPrefix(), b.period().label(),
                b.zone().getId(), b.limitUsd(), b.thresholds(), b.hard(),
                b.webhookUrl() == null ? null : b.webhookUrl().toString(), status == null ? null : Status.of(status));
    }

    /** The answer of {@code GET /v1/budgets/check}: {@code allowed}, and every budget covering the call, tightest first. */
    public record Check(boolean allowed, List<BudgetJson> budgets) {
        public static Check of(Budgets.Check c) {
            return new Check(c.allowed(), c.budgets().stream().map(s -> BudgetJson.of(s.budget(), s)).toList());
        }
    }

    /**
     * A budget's burn-down ({@code GET /v1/reports/budgets}): the exact spend at each step of the period so far, and
     * where the period's pace so far takes it by the reset.
     */
    public record BurnDown(BudgetJson budget, Instant periodStart, Instant resetsAt, Instant asOf, BigDecimal spendUsd,
                           long unpricedEvents, BigDecimal forecastUsd, boolean forecastOver, Instant exhaustedAt,
                           List<Point> points) {
        /** The spend from the period's start up to {@code at}. */
        public record Point(Instant at, BigDecimal spendUsd) {
        }

        public static BurnDown of(dev.tokenledger.usage.BurnDown b) {
            return new BurnDown(BudgetJson.of(b.budget(), null), b.periodStart(), b.periodEnd(), b.asOf(),
                    b.spendUsd(), b.unpricedEvents(), b.forecastUsd(), b.forecastOver(), b.exhaustedAt(),
                    b.points().stream().map(p -> new Point(p.at(), p.spendUsd())).toList());
        }
    }

    private static final Set<String> FIELDS = Set.of("name", "workspace", "user", "agent", "model", "period",
            "time_zone", "limit_usd", "thresholds", "hard", "webhook_url");

    /**
     * The budget a {@code PUT /v1/budgets/{name}} body describes.
     *
     * @throws InvalidBudgetException naming the field at fault
     */
    public static Budget parse(String name, JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new InvalidBudgetException("body", "must be a JSON object");
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new InvalidBudgetException(f, "is not a budget field (expected one of " + String.join(", ",
                        FIELDS.stream().sorted().toList()) + ")");
            }
        }
        if (body.hasNonNull("name") && !body.get("name").asText().equals(name)) {
            throw new InvalidBudgetException("name", "differs from the name in the path ('" + name + "')");
        }
        List<BigDecimal> thresholds = null;
        JsonNode t = body.get("thresholds");
        if (t != null && !t.isNull()) {
            if (!t.isArray()) {
                throw new InvalidBudgetException("thresholds", "must be an array of fractions such as [\"0.5\", \"0.8\"]");
            }
            thresholds = new ArrayList<>();
            for (JsonNode e : t) {
                thresholds.add(decimal("thresholds", e));
            }
        }
        JsonNode hard = body.get("hard");
        if (hard != null && !hard.isNull() && !hard.isBoolean()) {
            throw new InvalidBudgetException("hard", "must be true or false");
        }
        String period = text(body, "period");
        if (period == null) {
            throw new InvalidBudgetException("period", "is required: day, week or month");
        }
        JsonNode limit = body.get("limit_usd");
        if (limit == null || limit.isNull()) {
            throw new InvalidBudgetException("limit_usd", "is required (a decimal string such as \"250.00\")");
        }
        return new Budget(name, text(body, "workspace"), text(body, "user"), text(body, "agent"), text(body, "model"),
                Budget.Period.parse(period), Budget.zone(text(body, "time_zone")), decimal("limit_usd", limit),
                thresholds, hard == null || hard.isNull() || hard.asBoolean(), url(text(body, "webhook_url")));
    }

    public static URI url(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            return new URI(s.strip());
        } catch (URISyntaxException e) {
            throw new InvalidBudgetException("webhook_url", "is not a URL: " + e.getMessage());
        }
    }

    private static String text(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new InvalidBudgetException(field, "must be a string");
        }
        return n.asText();
    }

    /** A decimal string, or a JSON number (read exactly, never through a double). */
    public static BigDecimal decimal(String field, JsonNode n) {
        try {
            if (n.isTextual()) {
                return new BigDecimal(n.asText().strip());
            }
            if (n.isNumber()) {
                return n.decimalValue();
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new InvalidBudgetException(field, "must be a decimal such as \"0.8\" or \"250.00\", got " + n);
    }
}
