package dev.tokenledger.usage;

import java.math.BigDecimal;
import java.net.URI;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.TemporalAdjusters;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A USD limit per period for a scope. The scope is a workspace, narrowed by at most one of a user, an agent or a
 * model family. A <b>model family</b> is a model-name prefix: {@code gpt-4o} covers {@code gpt-4o},
 * {@code gpt-4o-mini} and {@code gpt-4o-2024-08-06} (the model name as recorded on the event, before aliases).
 * Periods are calendar days, ISO weeks (from Monday) or months in {@code zone} (UTC by default). Spend that reaches a
 * {@code threshold} (a fraction of the limit; default 0.5, 0.8, 1.0) fires an alert once per period; a {@code hard}
 * budget at or over its limit makes {@link Budgets#check} answer "stop".
 *
 * @param webhookUrl where alerts are POSTed (null: gauges only)
 */
public record Budget(String name, String workspace, String user, String agent, String modelPrefix, Period period,
                     ZoneId zone, BigDecimal limitUsd, List<BigDecimal> thresholds, boolean hard, URI webhookUrl) {
    public static final List<BigDecimal> DEFAULT_THRESHOLDS = List.of(new BigDecimal("0.5"), new BigDecimal("0.8"),
            new BigDecimal("1.0"));
    /** The default zone, spelled {@code UTC} (not {@code Z}) where it is stored and printed. */
    public static final ZoneId UTC = ZoneId.of("UTC");
    /** Largest limit the NUMERIC(20,6) column holds. */
    public static final BigDecimal MAX_LIMIT = new BigDecimal("99999999999999");
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,99}");

    /** How long a budget's period is. */
    public enum Period {
        DAY, WEEK, MONTH;

        public static Period parse(String s) {
            try {
                return valueOf(s.strip().toUpperCase(Locale.ROOT));
            } catch (RuntimeException e) {
                throw new InvalidBudgetException("period", "must be one of day, week, month; got '" + s + "'");
            }
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A period's bounds: {@code [start, end)}; {@code end} is when the budget resets. */
    public record Window(Instant start, Instant end) {
    }

    public Budget {
        require(name != null && NAME.matcher(name).matches(), "name",
                "must be 1 to 100 characters of a-z, 0-9, '_', '.', '-' starting with a letter or digit; got '"
                        + name + "'");
        require(workspace != null && !workspace.isBlank() && workspace.length() <= UsageEvent.MAX_ID_LENGTH,
                "workspace", "is required (1 to " + UsageEvent.MAX_ID_LENGTH + " characters)");
        user = blankToNull(user, "user");
        agent = blankToNull(agent, "agent");
        modelPrefix = blankToNull(modelPrefix, "model");
        int narrowings = (user == null ? 0 : 1) + (agent == null ? 0 : 1) + (modelPrefix == null ? 0 : 1);
        require(narrowings <= 1, "user", "a budget narrows its workspace by at most one of user, agent, model");
        require(period != null, "period", "is required: day, week or month");
        zone = zone == null ? UTC : zone;
        require(limitUsd != null && limitUsd.signum() > 0 && limitUsd.compareTo(MAX_LIMIT) <= 0, "limit_usd",
                "must be a positive amount of USD up to " + MAX_LIMIT.toPlainString() + ", got " + limitUsd);
        require(plain(limitUsd).scale() <= 6, "limit_usd", "has at most 6 decimal places, got "
                + limitUsd.toPlainString());
        limitUsd = plain(limitUsd);
        thresholds = (thresholds == null || thresholds.isEmpty() ? DEFAULT_THRESHOLDS : thresholds).stream()
                .map(Budget::plain).sorted().distinct().toList();
        require(thresholds.size() <= 10, "thresholds", "at most 10, got " + thresholds.size());
        for (BigDecimal t : thresholds) {
            require(t.signum() > 0 && t.compareTo(BigDecimal.valueOf(10)) < 0 && t.scale() <= 4, "thresholds",
                    "each must be a fraction of the limit above 0 and below 10 with at most 4 decimals (0.8 = 80%), got "
                            + t.toPlainString());
        }
        if (webhookUrl != null) {
            String scheme = webhookUrl.getScheme();
            require(("http".equals(scheme) || "https".equals(scheme)) && webhookUrl.getHost() != null, "webhook_url",
                    "must be an absolute http or https URL, got '" + webhookUrl + "'");
        }
    }

    /** {@code 100.00} as {@code 100}, {@code 0.50} as {@code 0.5}: one spelling per amount. */
    static BigDecimal plain(BigDecimal v) {
        BigDecimal s = v.stripTrailingZeros();
        return s.scale() < 0 ? s.setScale(0) : s;
    }

    private static String blankToNull(String v, String field) {
        if (v == null || v.isBlank()) {
            return null;
        }
        require(v.length() <= UsageEvent.MAX_ID_LENGTH, field, "at most " + UsageEvent.MAX_ID_LENGTH + " characters");
        return v;
    }

    private static void require(boolean ok, String field, String problem) {
        if (!ok) {
            throw new InvalidBudgetException(field, problem);
        }
    }

    /** Parses a zone id ({@code UTC}, {@code Europe/Paris}, {@code +05:30}), naming the field when it is not one. */
    public static ZoneId zone(String id) {
        if (id == null || id.isBlank()) {
            return UTC;
        }
        try {
            return ZoneId.of(id.strip());
        } catch (DateTimeException e) {
            throw new InvalidBudgetException("time_zone", "is not a time zone (e.g. UTC, Europe/Paris), got '"
                    + id + "'");
        }
    }

    /** Whether a call by {@code user}/{@code agent} on {@code model} in {@code workspace} counts against this budget. */
    public boolean covers(String workspace, String user, String agent, String model) {
        return this.workspace.equals(workspace)
                && (this.user == null || this.user.equals(user))
                && (this.agent == null || this.agent.equals(agent))
                && (modelPrefix == null || (model != null && model.startsWith(modelPrefix)));
    }

    /** The scope in words: {@code workspace ws-1}, {@code user u-7 in workspace ws-1}... */
    public String scope() {
        String ws = "workspace " + workspace;
        if (user != null) {
            return "user " + user + " in " + ws;
        }
        if (agent != null) {
            return "agent " + agent + " in " + ws;
        }
        if (modelPrefix != null) {
            return "models " + modelPrefix + "* in " + ws;
        }
        return ws;
    }

    /** The period {@code at} falls in. */
    public Window window(Instant at) {
        LocalDate today = LocalDate.ofInstant(at, zone);
        LocalDate first = switch (period) {
            case DAY -> today;
            case WEEK -> today.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
            case MONTH -> today.withDayOfMonth(1);
        };
        LocalDate next = switch (period) {
            case DAY -> first.plusDays(1);
            case WEEK -> first.plusWeeks(1);
            case MONTH -> first.plusMonths(1);
        };
        return new Window(first.atStartOfDay(zone).toInstant(), next.atStartOfDay(zone).toInstant());
    }

    /** The amount a threshold stands for. */
    public BigDecimal amountAt(BigDecimal threshold) {
        return limitUsd.multiply(threshold);
    }
}
