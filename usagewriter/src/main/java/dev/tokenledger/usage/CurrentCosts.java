package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.RowBinaryResult;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Reads a day of written events back from llm_usage, with each one's current cost: its written cost plus the
 * adjustments appended to it by other runs (the latest run's status and price row win). ClickHouse is the source
 * of truth for old events: PostgreSQL's staging copy is purged after the idempotency window. Read as RowBinary
 * ({@link ClickHouse#queryRowBinary}), not text: millions of rows in a run.
 */
final class CurrentCosts {
    /** An event as written, and what it costs now. */
    record Event(UsageEvent event, EventCost current) {
    }

    private static final String COSTS = "input_cost, cached_input_cost, cache_creation_cost, output_cost,"
            + " reasoning_cost, audio_cost, tool_use_cost, cost_usd";

    private CurrentCosts() {
    }

    /**
     * The request's filter over llm_usage {@code u}, as a WHERE fragment starting with AND (empty when it selects
     * every event), without the current status: an event unpriced as written, or with any adjustment, stands in for
     * "unpriced now". For planning which days a run goes through; fills {@code params}.
     */
    static String candidates(RepriceRequest request, Map<String, String> params) {
        List<String> any = new ArrayList<>();
        if (!request.models().isEmpty()) {
            params.put("models", models(request));
            any.add("u.model IN {models:Array(String)} OR u.pricing_model IN {models:Array(String)}");
        }
        if (request.includeUnpriced()) {
            any.add("u.cost_status = 'unpriced' OR u.event_id IN (SELECT event_id FROM llm_usage_adjustment"
                    + " WHERE event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')})");
        }
        StringBuilder where = new StringBuilder();
        if (!any.isEmpty()) {
            where.append(" AND (").append(String.join(" OR ", any)).append(")");
        }
        if (request.workspace() != null) {
            params.put("workspace", request.workspace());
            where.append(" AND u.workspace_id = {workspace:String}");
        }
        return where.toString();
    }

    private static String models(RepriceRequest request) {
        StringJoiner models = new StringJoiner(",", "[", "]");
        for (String m : request.models()) {
            models.add(dev.tokenledger.clickhouse.Identifiers.stringLiteral(m));
        }
        return models.toString();
    }

    /**
     * The day's events the request selects, in event_id order, excluding the adjustments of {@code runId} itself
     * (0: none), so a resumed run prices against the same current costs as its first attempt.
     */
    static List<Event> read(ClickHouse clickHouse, LocalDate day, RepriceRequest request, long runId) {
        Map<String, String> params = new HashMap<>();
        params.put("from", day + " 00:00:00.000");
        params.put("to", day.plusDays(1) + " 00:00:00.000");
        params.put("run", Long.toString(runId));
        StringBuilder filter = new StringBuilder();
        List<String> selects = new ArrayList<>();
        if (!request.models().isEmpty()) {
            params.put("models", models(request));
            selects.add("u.model IN {models:Array(String)} OR u.pricing_model IN {models:Array(String)}");
        }
        if (request.includeUnpriced()) {
            selects.add("if(a.n > 0, a.cost_status, u.cost_status) = 'unpriced'");
        }
        if (!selects.isEmpty()) {
            filter.append(" AND (").append(String.join(" OR ", selects)).append(")");
        }
        if (request.workspace() != null) {
            params.put("workspace", request.workspace());
            filter.append(" AND u.workspace_id = {workspace:String}");
        }
        String sql = """
                SELECT u.event_id AS id, u.event_time AS at, u.user_id AS user_id,
                       u.workspace_id AS workspace_id, u.agent_id AS agent_id, u.model AS model, u.provider AS provider,
                       u.session_id AS session_id, u.service_tier AS service_tier, u.prompt_tokens AS prompt_tokens,
                       u.completion_tokens AS completion_tokens, u.total_tokens AS total_tokens,
                       u.tool_use_prompt_tokens AS tool_use_prompt_tokens, u.thoughts_tokens AS thoughts_tokens,
                       u.cached_tokens AS cached_tokens, u.cache_creation_tokens AS cache_creation_tokens,
                       u.cache_creation_1h_tokens AS cache_creation_1h_tokens,
                       u.audio_prompt_tokens AS audio_prompt_tokens, u.audio_completion_tokens AS audio_completion_tokens,
                       if(a.n > 0, a.cost_status, u.cost_status) AS status,
                       if(a.n > 0, a.pricing_model, u.pricing_model) AS pricing_model,
                       if(a.n > 0, a.pricing_id, u.pricing_id) AS pricing_id,
                       if(a.n > 0, a.pricing_override_id, u.pricing_override_id) AS pricing_override_id,
                       %s
                FROM llm_usage AS u
                LEFT JOIN (
                    SELECT event_id, count() AS n, %s,
                           argMax(cost_status, run_id) AS cost_status, argMax(pricing_model, run_id) AS pricing_model,
                           argMax(pricing_id, run_id) AS pricing_id,
                           argMax(pricing_override_id, run_id) AS pricing_override_id
                    FROM llm_usage_adjustment
                    WHERE event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
                      AND run_id != {run:UInt64}
                    GROUP BY event_id) AS a ON a.event_id = u.event_id
                WHERE u.event_time >= {from:DateTime64(3, 'UTC')} AND u.event_time < {to:DateTime64(3, 'UTC')}%s
                ORDER BY u.event_id""".formatted(current(), sums(), filter);
        RowBinaryResult r = clickHouse.queryRowBinary(sql, params);
        Columns c = new Columns(r);
        List<Event> out = new ArrayList<>(r.rowCount());
        while (r.next()) {
            UsageEvent e = UsageEvent.builder()
                    .eventId(r.uuid(c.id))
                    .eventTime(Instant.ofEpochMilli(r.epochMilli(c.at)))
                    .userId(r.string(c.user)).workspaceId(r.string(c.workspace)).agentId(r.string(c.agent))
                    .model(r.string(c.model)).provider(r.string(c.provider)).sessionId(r.string(c.session))
                    .serviceTier(r.string(c.tier))
                    .promptTokens(r.uint64(c.prompt)).completionTokens(r.uint64(c.completion))
                    .totalTokens(r.uint64(c.total)).toolUsePromptTokens(r.uint64(c.toolUse))
                    .thoughtsTokens(r.uint64(c.thoughts)).cachedTokens(r.uint64(c.cached))
                    .cacheCreationTokens(r.uint64(c.cacheCreation)).cacheCreation1hTokens(r.uint64(c.cacheCreation1h))
                    .audioPromptTokens(r.uint64(c.audioPrompt)).audioCompletionTokens(r.uint64(c.audioCompletion))
                    .build();
            EventCost.Status status = STATUS.get(r.enumName(c.status));
            EventCost current = status == EventCost.Status.UNPRICED ? EventCost.unpriced()
                    : new EventCost(status, r.decimal(c.costs[0]), r.decimal(c.costs[1]), r.decimal(c.costs[2]),
                            r.decimal(c.costs[3]), r.decimal(c.costs[4]), r.decimal(c.costs[5]), r.decimal(c.costs[6]),
                            r.decimal(c.costs[7]), r.string(c.pricingModel), r.uint64(c.pricingId),
                            r.uint64(c.overrideId));
            out.add(new Event(e, current));
        }
        return out;
    }

    private static final Map<String, EventCost.Status> STATUS = Map.of("priced", EventCost.Status.PRICED,
            "unpriced", EventCost.Status.UNPRICED, "override", EventCost.Status.OVERRIDE);

    /** The result's column indexes, looked up once. */
    private static final class Columns {
        final int id, at, user, workspace, agent, model, provider, session, tier, prompt, completion, total, toolUse,
                thoughts, cached, cacheCreation, cacheCreation1h, audioPrompt, audioCompletion, status, pricingModel,
                pricingId, overrideId;
        final int[] costs;

        Columns(RowBinaryResult r) {
            id = r.column("id");
            at = r.column("at");
            user = r.column("user_id");
            workspace = r.column("workspace_id");
            agent = r.column("agent_id");
            model = r.column("model");
            provider = r.column("provider");
            session = r.column("session_id");
            tier = r.column("service_tier");
            prompt = r.column("prompt_tokens");
            completion = r.column("completion_tokens");
            total = r.column("total_tokens");
            toolUse = r.column("tool_use_prompt_tokens");
            thoughts = r.column("thoughts_tokens");
            cached = r.column("cached_tokens");
            cacheCreation = r.column("cache_creation_tokens");
            cacheCreation1h = r.column("cache_creation_1h_tokens");
            audioPrompt = r.column("audio_prompt_tokens");
            audioCompletion = r.column("audio_completion_tokens");
            status = r.column("status");
            pricingModel = r.column("pricing_model");
            pricingId = r.column("pricing_id");
            overrideId = r.column("pricing_override_id");
            String[] names = COSTS.split(",\\s*");
            costs = new int[names.length];
            for (int i = 0; i < names.length; i++) {
                costs[i] = r.column("c_" + names[i]);
            }
        }
    }

    /** Each cost component now: written (0 when unpriced) plus the other runs' deltas, as c_<component>. */
    private static String current() {
        StringJoiner out = new StringJoiner(", ");
        for (String c : COSTS.split(",\\s*")) {
            out.add("ifNull(u." + c + ", toDecimal128(0, 12)) + if(a.n > 0, a." + c + ", toDecimal128(0, 12)) AS c_" + c);
        }
        return out.toString();
    }

    private static String sums() {
        StringJoiner out = new StringJoiner(", ");
        for (String c : COSTS.split(",\\s*")) {
            out.add("sum(" + c + ") AS " + c);
        }
        return out.toString();
    }
}
