package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Identifiers;
import dev.tokenledger.clickhouse.Row;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The analytical questions: what did usage cost, and in tokens, by user, workspace, model, agent or day.
 * Answered from the llm_usage_daily rollup (always with sum() ... GROUP BY: SummingMergeTree sums only
 * when parts merge) unless the question needs a column the rollup does not keep, then from llm_usage.
 *
 * <p>Every answer is the current one: usage as written plus its corrections (llm_usage_adjustment, appended by
 * reprice runs). The rollup holds them already (a view feeds them in); an answer from llm_usage adds them
 * (UNION ALL over the adjustments' same dimensions). {@link Query#asWritten()} asks for the totals as written,
 * before any correction: the rollup minus the adjustments, or llm_usage alone.
 */
public final class Reports {
    /** What a report groups by. */
    public enum By {
        USER("user_id", true), WORKSPACE("workspace_id", true), MODEL("model", true), AGENT("agent_id", true),
        DAY("day", true), PROVIDER("provider", true), SESSION("session_id", false), TIER("service_tier", false);

        final String column;
        final boolean inRollup;

        By(String column, boolean inRollup) {
            this.column = column;
            this.inRollup = inRollup;
        }

        public static By parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--by must be one of user, workspace, model, agent, day, provider,"
                        + " session, tier; got '" + s + "'");
            }
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Where an answer came from: the rollup or the raw table. */
    public enum Source {
        ROLLUP("llm_usage_daily"), RAW("llm_usage");

        public final String table;

        Source(String table) {
            this.table = table;
        }
    }

    /**
     * One question. {@code workspace}, {@code user} and {@code model} narrow it when set; {@code asWritten} asks
     * for the totals as written, before the corrections reprice runs appended (default: the current totals);
     * {@code withinWorkspaces}, when not empty, keeps the answer to those workspaces (what an API key may read).
     */
    public record Query(By by, LocalDate from, LocalDate to, String workspace, String user, String model, int limit,
                        boolean asWritten, Set<String> withinWorkspaces) {
        public Query {
            if (from.isAfter(to)) {
                throw new IllegalArgumentException("--from (" + from + ") must not be after --to (" + to + ")");
            }
            if (limit < 1 || limit > 10_000) {
                throw new IllegalArgumentException("--limit must be between 1 and 10000, got " + limit);
            }
            withinWorkspaces = Set.copyOf(withinWorkspaces);
        }

        public Query(By by, LocalDate from, LocalDate to, String workspace, String user, String model, int limit,
                     boolean asWritten) {
            this(by, from, to, workspace, user, model, limit, asWritten, Set.of());
        }

        /** The current totals (written usage plus its corrections). */
        public Query(By by, LocalDate from, LocalDate to, String workspace, String user, String model, int limit) {
            this(by, from, to, workspace, user, model, limit, false);
        }

        public Query asWritten(boolean asWritten) {
            return new Query(by, from, to, workspace, user, model, limit, asWritten, withinWorkspaces);
        }

        /** This question, answered only from {@code workspaces} (empty: every workspace). */
        public Query withinWorkspaces(Set<String> workspaces) {
            return new Query(by, from, to, workspace, user, model, limit, asWritten, workspaces);
        }
    }

    /** One line of a report; amounts in USD at scale 12, unknown (unpriced) costs counted apart. */
    public record Line(String key, long events, long unpricedEvents, long promptTokens, long completionTokens,
                       long cachedTokens, long cacheCreationTokens, long thoughtsTokens, long totalTokens,
                       long imageTokens, long webSearchRequests, long images, BigDecimal costUsd) {
    }

    public record Report(Query query, Source source, List<Line> lines) {
        /** The tables the answer was computed from, in words: {@code llm_usage + llm_usage_adjustment}... */
        public String tables() {
            if (query.asWritten()) {
                return source == Source.ROLLUP ? source.table + " - " + Rollups.ADJUSTMENTS : source.table;
            }
            return source == Source.RAW ? source.table + " + " + Rollups.ADJUSTMENTS : source.table;
        }

        public BigDecimal totalCost() {
            return lines.stream().map(Line::costUsd).reduce(BigDecimal.ZERO, BigDecimal::add);
        }

        public long totalEvents() {
            return lines.stream().mapToLong(Line::events).sum();
        }
    }

    private final ClickHouse clickHouse;

    /**
     * Reports need only ClickHouse (a read replica will do); {@link TokenLedger#reports()} hands out the ledger's.
     * Stateless: safe to share between threads.
     */
    public Reports(ClickHouse clickHouse) {
        this.clickHouse = clickHouse;
    }

    public Report run(Query q) {
        return run(q, q.by().inRollup ? Source.ROLLUP : Source.RAW);
    }

    /**
     * Answers from the given source: the raw table can answer every question, the rollup only those it
     * keeps the column for. The same question gets the same answer from both, to the last digit (the benchmarks
     * check it): the rollup holds the corrections, the raw table's answer adds them.
     */
    public Report run(Query q, Source source) {
        if (source == Source.ROLLUP && !q.by().inRollup) {
            throw new IllegalArgumentException("llm_usage_daily does not keep " + q.by().column + "; ask llm_usage");
        }
        Map<String, String> params = new HashMap<>();
        params.put("from", q.from().toString());
        params.put("to", q.to().toString());
        params.put("limit", Integer.toString(q.limit()));
        StringBuilder filters = new StringBuilder();
        filter(filters, params, "workspace_id", "workspace", q.workspace());
        within(filters, params, q.withinWorkspaces());
        filter(filters, params, "user_id", "user", q.user());
        filter(filters, params, "model", "model", q.model());
        String rawWhere = "event_time >= toDateTime64({from:Date}, 3, 'UTC')"
                + " AND event_time < toDateTime64({to:Date} + 1, 3, 'UTC')" + filters;
        String rawKey = q.by() == By.DAY ? "toDate(event_time)" : q.by().column;
        List<String> parts = new ArrayList<>();
        if (source == Source.ROLLUP) {
            parts.add(ROLLUP_PART.formatted(q.by().column, "day >= {from:Date} AND day <= {to:Date}" + filters));
            if (q.asWritten()) {
                parts.add(ADJUSTMENTS_PART.formatted(rawKey, "negate", "negate", rawWhere));
            }
        } else {
            parts.add(RAW_PART.formatted(rawKey, rawWhere));
            if (!q.asWritten()) {
                parts.add(ADJUSTMENTS_PART.formatted(rawKey, "", "", rawWhere));
            }
        }
        String order = q.by() == By.DAY ? "key ASC" : "cost DESC, key ASC";
        String sql = parts.size() == 1 ? parts.getFirst() + "\nORDER BY " + order + "\nLIMIT {limit:UInt32}"
                : SUM_OF_PARTS.formatted(String.join("\nUNION ALL\n", parts), order);
        List<Line> lines = new ArrayList<>();
        for (Row r : clickHouse.query(sql, params)) {
            lines.add(new Line(r.string("key"), r.int64("events"), r.int64("unpriced"), r.int64("prompt"),
                    r.int64("completion"), r.int64("cached"), r.int64("cache_creation"), r.int64("thoughts"),
                    r.int64("total"), r.int64("image_tokens"), r.int64("web_searches"), r.int64("images"),
                    r.decimal("cost").setScale(12)));
        }
        return new Report(q, source, lines);
    }

    private static final String ROLLUP_PART = """
            SELECT toString(%s) AS key, sum(events) AS events, sum(unpriced_events) AS unpriced,
                   sum(prompt_tokens) AS prompt, sum(completion_tokens) AS completion, sum(cached_tokens) AS cached,
                   sum(cache_creation_tokens) AS cache_creation, sum(thoughts_tokens) AS thoughts,
                   sum(total_tokens) AS total, sum(image_tokens) AS image_tokens,
                   sum(web_search_requests) AS web_searches, sum(images) AS images, sum(cost_usd) AS cost
            FROM llm_usage_daily
            WHERE %s
            GROUP BY key""";

    private static final String RAW_PART = """
            SELECT toString(%s) AS key, count() AS events, toInt64(countIf(cost_status = 'unpriced')) AS unpriced,
                   sum(prompt_tokens) AS prompt, sum(completion_tokens) AS completion, sum(cached_tokens) AS cached,
                   sum(cache_creation_tokens + cache_creation_1h_tokens) AS cache_creation,
                   sum(thoughts_tokens) AS thoughts, sum(total_tokens) AS total,
                   sum(image_prompt_tokens + image_completion_tokens) AS image_tokens,
                   sum(web_search_requests) AS web_searches, sum(input_images + output_images) AS images,
                   ifNull(sum(cost_usd), toDecimal128(0, 12)) AS cost
            FROM llm_usage
            WHERE %s
            GROUP BY key""";

    /**
     * The corrections reprice runs appended, on llm_usage's dimensions: events and tokens never move; the sign
     * function (empty or negate) adds the unpriced count and the costs, or takes them away.
     */
    private static final String ADJUSTMENTS_PART = """
            SELECT toString(%s) AS key, toUInt64(0) AS events, %s(sum(unpriced_delta)) AS unpriced,
                   toUInt64(0) AS prompt, toUInt64(0) AS completion, toUInt64(0) AS cached,
                   toUInt64(0) AS cache_creation, toUInt64(0) AS thoughts, toUInt64(0) AS total,
                   toUInt64(0) AS image_tokens, toUInt64(0) AS web_searches, toUInt64(0) AS images,
                   %s(sum(cost_usd)) AS cost
            FROM llm_usage_adjustment
            WHERE %s
            GROUP BY key""";

    private static final String SUM_OF_PARTS = """
            SELECT key, sum(events) AS events, sum(unpriced) AS unpriced, sum(prompt) AS prompt,
                   sum(completion) AS completion, sum(cached) AS cached, sum(cache_creation) AS cache_creation,
                   sum(thoughts) AS thoughts, sum(total) AS total, sum(image_tokens) AS image_tokens,
                   sum(web_searches) AS web_searches, sum(images) AS images, sum(cost) AS cost
            FROM (
            %s
            )
            GROUP BY key
            ORDER BY %s
            LIMIT {limit:UInt32}""";

    private static void filter(StringBuilder where, Map<String, String> params, String column, String name,
                               String value) {
        if (value != null && !value.isBlank()) {
            where.append(" AND ").append(column).append(" = {").append(name).append(":String}");
            params.put(name, value);
        }
    }

    private static void within(StringBuilder where, Map<String, String> params, Set<String> workspaces) {
        if (!workspaces.isEmpty()) {
            StringJoiner list = new StringJoiner(",", "[", "]");
            workspaces.stream().sorted().forEach(w -> list.add(Identifiers.stringLiteral(w)));
            where.append(" AND workspace_id IN {within:Array(String)}");
            params.put("within", list.toString());
        }
    }

    /** One day of one series (a model, a provider, a workspace...). */
    public record Point(LocalDate day, String series, long events, long totalTokens, BigDecimal costUsd) {
    }

    /** Cost per day split by a second dimension, for charts; always from the rollup. */
    public record TimeSeries(Query query, By series, List<Point> points) {
    }

    /** Cost per day of each value of {@code series} (the query's {@code by} is ignored: days are the x axis). */
    public TimeSeries timeSeries(Query q, By series) {
        if (!series.inRollup || series == By.DAY) {
            throw new IllegalArgumentException("series must be one of user, workspace, model, agent, provider; got '"
                    + series.label() + "'");
        }
        Map<String, String> params = new HashMap<>();
        params.put("from", q.from().toString());
        params.put("to", q.to().toString());
        StringBuilder where = new StringBuilder("day >= {from:Date} AND day <= {to:Date}");
        filter(where, params, "workspace_id", "workspace", q.workspace());
        within(where, params, q.withinWorkspaces());
        filter(where, params, "user_id", "user", q.user());
        filter(where, params, "model", "model", q.model());
        String sql = """
                SELECT day, toString(%s) AS series, sum(events) AS events, sum(total_tokens) AS total,
                       sum(cost_usd) AS cost
                FROM llm_usage_daily
                WHERE %s
                GROUP BY day, series
                ORDER BY day, series""".formatted(series.column, where);
        List<Point> points = new ArrayList<>();
        for (Row r : clickHouse.query(sql, params)) {
            points.add(new Point(r.date("day"), r.string("series"), r.int64("events"), r.int64("total"),
                    r.decimal("cost").setScale(12)));
        }
        return new TimeSeries(q, series, points);
    }

    /**
     * How well a range is priced, as its events stand now (corrections included): how many are unpriced and why,
     * and how many priced ones carry a flag, by flag. A row written before reasons were recorded counts under
     * {@value #NOT_RECORDED}.
     *
     * @param unpricedByReason unpriced events per {@code unpriced_reason}, most first
     * @param flaggedByFlag    priced events per flag (an event with two flags counts under each), most first
     * @param flaggedEvents    priced events with at least one flag
     */
    public record PricingQuality(long events, long unpricedEvents, Map<String, Long> unpricedByReason,
                                 long flaggedEvents, Map<String, Long> flaggedByFlag) {
    }

    /** The reason or flag a row written before V7 (which records them) reads as. */
    public static final String NOT_RECORDED = "not_recorded";

    /** The pricing quality of {@code [from, to]} (UTC days), for one workspace or all (null). */
    public PricingQuality pricingQuality(LocalDate from, LocalDate to, String workspace) {
        return pricingQuality(from, to, workspace, Set.of());
    }

    /** As {@link #pricingQuality(LocalDate, LocalDate, String)}, kept to {@code within} (empty: every workspace). */
    public PricingQuality pricingQuality(LocalDate from, LocalDate to, String workspace, Set<String> within) {
        Map<String, String> params = new HashMap<>();
        params.put("from", from.toString());
        params.put("to", to.toString());
        StringBuilder range = new StringBuilder("event_time >= toDateTime64({from:Date}, 3, 'UTC')"
                + " AND event_time < toDateTime64({to:Date} + 1, 3, 'UTC')");
        filter(range, params, "workspace_id", "workspace", workspace);
        within(range, params, within);
        StringBuilder days = new StringBuilder("day >= {from:Date} AND day <= {to:Date}");
        filter(days, params, "workspace_id", "workspace", workspace);
        within(days, params, within);
        Row totals = clickHouse.query("SELECT sum(events) AS events, sum(unpriced_events) AS unpriced FROM llm_usage_daily"
                + " WHERE " + days, params).getFirst();
        // Each event as it stands now: its latest adjustment's status, reason and flags, else its written ones.
        String current = """
                SELECT event_id, cost_status, unpriced_reason, pricing_flags FROM llm_usage
                WHERE %1$s AND (cost_status = 'unpriced' OR pricing_flags != '')
                  AND event_id NOT IN (SELECT event_id FROM llm_usage_adjustment WHERE %1$s)
                UNION ALL
                SELECT event_id, argMax(cost_status, run_id), argMax(unpriced_reason, run_id),
                       argMax(pricing_flags, run_id)
                FROM llm_usage_adjustment WHERE %1$s GROUP BY event_id""".formatted(range);
        Map<String, Long> reasons = new LinkedHashMap<>();
        for (Row r : clickHouse.query("SELECT if(unpriced_reason = '', '" + NOT_RECORDED + "', unpriced_reason) AS reason,"
                + " count() AS n FROM (" + current + ") WHERE cost_status = 'unpriced' GROUP BY reason"
                + " ORDER BY n DESC, reason", params)) {
            reasons.put(r.string("reason"), r.int64("n"));
        }
        String priced = "SELECT pricing_flags FROM (" + current + ") WHERE cost_status != 'unpriced' AND pricing_flags != ''";
        Map<String, Long> flags = new LinkedHashMap<>();
        for (Row r : clickHouse.query("SELECT arrayJoin(splitByChar(',', pricing_flags)) AS flag, count() AS n FROM ("
                + priced + ") GROUP BY flag ORDER BY n DESC, flag", params)) {
            flags.put(r.string("flag"), r.int64("n"));
        }
        long flagged = clickHouse.query("SELECT count() AS n FROM (" + priced + ")", params).getFirst().int64("n");
        return new PricingQuality(totals.int64("events"), totals.int64("unpriced"), reasons, flagged, flags);
    }

    /** Events in llm_usage (for the demo's and health's counts). */
    public long rawEvents() {
        return clickHouse.query("SELECT count() AS n FROM llm_usage").getFirst().int64("n");
    }
}
