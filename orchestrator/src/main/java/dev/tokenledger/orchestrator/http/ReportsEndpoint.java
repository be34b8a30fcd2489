package dev.tokenledger.orchestrator.http;

import dev.tokenledger.usage.Reports;
import dev.tokenledger.orchestrator.ReportJson;
import io.javalin.http.Context;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code GET /v1/reports/{by}}: the same {@link Reports} the CLI's {@code report} command runs, with the
 * same defaults (the last 30 days, top 50 by cost, current costs: written plus corrections; {@code as_written=true}
 * for the totals as written). Every bad parameter is a 400 that names it.
 */
final class ReportsEndpoint {
    static final Set<String> PARAMETERS = Set.of("from", "to", "workspace", "user", "model", "limit", "as_written");
    private static final String BY_VALUES = Arrays.stream(Reports.By.values()).map(Reports.By::label)
            .collect(Collectors.joining(", "));

    /** ClickHouse's Date type stops at 2149; a date outside these bounds is a client's typo, not a question. */
    static final LocalDate EARLIEST = LocalDate.of(1970, 1, 1);
    static final LocalDate LATEST = LocalDate.of(2100, 12, 31);

    private final Reports reports;

    ReportsEndpoint(Reports reports) {
        this.reports = reports;
    }

    void handle(Context ctx) {
        ApiException.requireKnownParameters(ctx, PARAMETERS);
        Reports.By by = by(ctx.pathParam("by"));
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        LocalDate from = date(ctx, "from", today.minusDays(30));
        LocalDate to = date(ctx, "to", today);
        if (from.isAfter(to)) {
            throw ApiException.badParameter("from", "(" + from + ") must not be after 'to' (" + to + ")");
        }
        int limit = limit(ctx);
        Reports.Query query = new Reports.Query(by, from, to, ctx.queryParam("workspace"), ctx.queryParam("user"),
                ctx.queryParam("model"), limit, asWritten(ctx), readable(ctx));
        ctx.json(ReportJson.of(reports.run(query)));
    }

    /** {@code GET /v1/reports/timeseries}: cost per day, one series per model (or provider, user, ...). */
    void timeSeries(Context ctx) {
        ApiException.requireKnownParameters(ctx, TIME_SERIES_PARAMETERS);
        Reports.By series = by(ctx.queryParam("series") == null ? "model" : ctx.queryParam("series"));
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        LocalDate from = date(ctx, "from", today.minusDays(30));
        LocalDate to = date(ctx, "to", today);
        if (from.isAfter(to)) {
            throw ApiException.badParameter("from", "(" + from + ") must not be after 'to' (" + to + ")");
        }
        Reports.Query query = new Reports.Query(series, from, to, ctx.queryParam("workspace"), ctx.queryParam("user"),
                ctx.queryParam("model"), 1, false, readable(ctx));
        Reports.TimeSeries result;
        try {
            result = reports.timeSeries(query, series);
        } catch (IllegalArgumentException e) {
            throw ApiException.badParameter("series", e.getMessage().replace("series must", "must"));
        }
        ctx.json(new TimeSeriesResponse(series.label(), from, to, result.points()));
    }

    /**
     * {@code GET /v1/reports/pricing}: how well a range is priced, as it stands now: unpriced events by reason and
     * flagged ones by flag ({@link Reports#pricingQuality}).
     */
    void pricing(Context ctx) {
        ApiException.requireKnownParameters(ctx, PRICING_PARAMETERS);
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        LocalDate from = date(ctx, "from", today.minusDays(30));
        LocalDate to = date(ctx, "to", today);
        if (from.isAfter(to)) {
            throw ApiException.badParameter("from", "(" + from + ") must not be after 'to' (" + to + ")");
        }
        String workspace = ctx.queryParam("workspace");
        ctx.json(PricingResponse.of(from, to, workspace, reports.pricingQuality(from, to, workspace, readable(ctx))));
    }

    /**
     * The workspaces the request's key may read (empty: every one); a key asking for a workspace it may not read
     * gets a 403 naming it, one limited to some workspaces sees only theirs in every answer.
     */
    private static Set<String> readable(Context ctx) {
        String asked = ctx.queryParam("workspace");
        if (asked != null && !asked.isBlank()) {
            ApiKeys.requireWorkspace(ctx, asked, "read");
        }
        return ApiKeys.principal(ctx).workspaces();
    }

    static final Set<String> PRICING_PARAMETERS = Set.of("from", "to", "workspace");

    /** A range's pricing quality as JSON. */
    record PricingResponse(LocalDate from, LocalDate to, String workspace, long events, long unpricedEvents,
                           java.util.Map<String, Long> unpricedByReason, long flaggedEvents,
                           java.util.Map<String, Long> flaggedByFlag) {
        static PricingResponse of(LocalDate from, LocalDate to, String workspace, Reports.PricingQuality q) {
            return new PricingResponse(from, to, workspace, q.events(), q.unpricedEvents(), q.unpricedByReason(),
                    q.flaggedEvents(), q.flaggedByFlag());
        }
    }

    static final Set<String> TIME_SERIES_PARAMETERS = Set.of("from", "to", "workspace", "user", "model", "series");

    /** Cost per day per series value, for charts. Costs in USD. */
    record TimeSeriesResponse(String series, LocalDate from, LocalDate to, List<Reports.Point> points) {
    }

    private static Reports.By by(String value) {
        for (Reports.By by : Reports.By.values()) {
            if (by.label().equals(value.toLowerCase(Locale.ROOT))) {
                return by;
            }
        }
        throw ApiException.badParameter("by", "must be one of " + BY_VALUES + ", got '" + EventFields.abbreviate(value) + "'");
    }

    private static LocalDate date(Context ctx, String name, LocalDate otherwise) {
        String value = ctx.queryParam(name);
        if (value == null || value.isBlank()) {
            return otherwise;
        }
        LocalDate date;
        try {
            date = LocalDate.parse(value);
        } catch (DateTimeParseException e) {
            throw ApiException.badParameter(name, "must be a date (YYYY-MM-DD, UTC), got '"
                    + EventFields.abbreviate(value) + "'");
        }
        if (date.isBefore(EARLIEST) || date.isAfter(LATEST)) {
            throw ApiException.badParameter(name, "must be between " + EARLIEST + " and " + LATEST + ", got " + date);
        }
        return date;
    }

    private static boolean asWritten(Context ctx) {
        String value = ctx.queryParam("as_written");
        if (value == null || value.isBlank() || value.equals("false")) {
            return false;
        }
        if (value.equals("true")) {
            return true;
        }
        throw ApiException.badParameter("as_written", "must be true or false, got '" + EventFields.abbreviate(value)
                + "'");
    }

    private static int limit(Context ctx) {
        String value = ctx.queryParam("limit");
        if (value == null || value.isBlank()) {
            return 50;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= 10_000) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below with the bounds
        }
        throw ApiException.badParameter("limit", "must be a whole number from 1 to 10000, got '"
                + EventFields.abbreviate(value) + "'");
    }
}
