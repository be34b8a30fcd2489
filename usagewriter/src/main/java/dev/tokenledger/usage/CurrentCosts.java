package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.RowBinaryResult;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.UUID;

/**
 * Reads written events back from llm_usage, a chunk at a time in the table's sort order (user, workspace, time,
 * event), with each one's current cost: its written cost plus the adjustments appended to it by other runs (the
 * latest run's status and price row win). ClickHouse is the source of truth for old events: PostgreSQL's staging
 * copy is purged after the idempotency window. A chunk is a range of the sort key, so ClickHouse reads only the
 * granules of that range (a day's events, spread over every granule of its month, would cost a month per day);
 * llm_usage_adjustment is sorted the same way, so the same range finds the chunk's earlier adjustments. Read as
 * RowBinary ({@link ClickHouse#queryRowBinary}), not text. A cost's {@link EventCost.Basis} is not read back
 * ({@link EventCost.Basis#NONE}): whether an event needs an adjustment depends on its amounts and price row only.
 */
final class CurrentCosts {
    /** A position in llm_usage's sort order. */
    record Key(String user, String workspace, Instant time, UUID event) {
    }

    /** An event as written, what it costs now, and whether the request selects it. */
    record Event(UsageEvent event, EventCost current, boolean selected) {
    }

    /** The events of one chunk in sort order, and the key of its last event (null when it holds none). */
    record Chunk(List<Event> events, Key last) {
    }

    private static final DateTimeFormatter CH_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
            .withZone(ZoneOffset.UTC);
    static final List<String> COSTS = List.of("input_cost", "cached_input_cost", "cache_creation_cost", "output_cost",
            "reasoning_cost", "audio_cost", "tool_use_cost", "image_cost", "web_search_cost", "seconds_cost", "cost_usd");
    private static final String KEY = "(%1$suser_id, %1$sworkspace_id, %1$sevent_time, %1$sevent_id)";
    /** What an event is billed for besides its text tokens (V8), each under its own name. */
    static final String EXTRAS = "%1$simage_prompt_tokens AS image_prompt_tokens,"
            + " %1$simage_completion_tokens AS image_completion_tokens, %1$sweb_search_requests AS web_search_requests,"
            + " %1$sinput_images AS input_images, %1$soutput_images AS output_images,"
            + " %1$sinput_audio_seconds AS input_audio_seconds, %1$sinput_video_seconds AS input_video_seconds,"
            + " %1$soutput_audio_seconds AS output_audio_seconds, %1$soutput_video_seconds AS output_video_seconds,"
            + " %1$sinference_geo AS inference_geo";

    private CurrentCosts() {
    }

    /**
     * The events of {@code [from, to)} after {@code after} (exclusive; null: from the first), either the next
     * {@code limit} of them ({@code last} null) or exactly those up to {@code last} (inclusive: a chunk read again),
     * excluding the adjustments of {@code runId} itself (0: none), so a resumed chunk prices against the same
     * current costs as its first attempt.
     */
    static Chunk read(ClickHouse clickHouse, Instant from, Instant to, Key after, Key last, int limit,
                      RepriceRequest request, long runId) {
        Map<String, String> params = new HashMap<>();
        String range = range(from, to, after, last, params, "u.");
        String filter = range + requestFilter(request, params);
        String sql = "SELECT u.event_id AS id, u.event_time AS at, u.user_id AS user_id, u.workspace_id AS workspace_id,"
                + " u.agent_id AS agent_id, u.model AS model, u.provider AS provider, u.session_id AS session_id,"
                + " u.service_tier AS service_tier, u.prompt_tokens AS prompt_tokens,"
                + " u.completion_tokens AS completion_tokens, u.total_tokens AS total_tokens,"
                + " u.tool_use_prompt_tokens AS tool_use_prompt_tokens, u.thoughts_tokens AS thoughts_tokens,"
                + " u.cached_tokens AS cached_tokens, u.cache_creation_tokens AS cache_creation_tokens,"
                + " u.cache_creation_1h_tokens AS cache_creation_1h_tokens, u.audio_prompt_tokens AS audio_prompt_tokens,"
                + " u.audio_completion_tokens AS audio_completion_tokens, " + EXTRAS.formatted("u.")
                + ", u.cost_status AS status,"
                + " u.pricing_model AS pricing_model, u.pricing_id AS pricing_id,"
                + " u.pricing_override_id AS pricing_override_id, " + columns("u.", "w_")
                + " FROM llm_usage AS u WHERE " + filter + " ORDER BY " + KEY.formatted("u.")
                + (last == null ? " LIMIT " + limit : "")
                // Read in key order, a granule at a time, without buffering ahead per part: a chunk of 200,000 events
                // then reads about 245,000 rows of its month instead of 620,000 (measured at 10 M rows, 3 parts).
                + " SETTINGS max_threads = 1, max_block_size = 8192, read_in_order_use_buffering = 0";
        RowBinaryResult r = clickHouse.queryRowBinary(sql, params);
        if (r.rowCount() == 0) {
            return new Chunk(List.of(), null);
        }
        Columns c = new Columns(r);
        List<UsageEvent> events = new ArrayList<>(r.rowCount());
        List<EventCost> written = new ArrayList<>(r.rowCount());
        Key lastKey = null;
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
                    .imagePromptTokens(r.uint64(c.imagePrompt)).imageCompletionTokens(r.uint64(c.imageCompletion))
                    .webSearchRequests(r.uint64(c.webSearches)).inputImages(r.uint64(c.inputImages))
                    .outputImages(r.uint64(c.outputImages)).inputAudioSeconds(r.decimal(c.inputAudioSeconds))
                    .inputVideoSeconds(r.decimal(c.inputVideoSeconds)).outputAudioSeconds(r.decimal(c.outputAudioSeconds))
                    .outputVideoSeconds(r.decimal(c.outputVideoSeconds)).inferenceGeo(r.string(c.inferenceGeo))
                    .build();
            events.add(e);
            EventCost.Status status = STATUS.get(r.enumName(c.status));
            BigDecimal[] costs = new BigDecimal[COSTS.size()];
            for (int i = 0; i < costs.length; i++) {
                costs[i] = r.isNull(c.costs[i]) ? null : r.decimal(c.costs[i]);
            }
            written.add(status == EventCost.Status.UNPRICED ? EventCost.unpriced()
                    : new EventCost(status, costs[0], costs[1], costs[2], costs[3], costs[4], costs[5], costs[6], costs[7],
                            costs[8], costs[9], costs[10], r.string(c.pricingModel), r.uint64(c.pricingId), r.uint64(c.overrideId),
                            EventCost.Basis.NONE));
            lastKey = new Key(e.userId(), e.workspaceId(), e.eventTime(), e.eventId());
        }
        Key upTo = last != null ? last : lastKey;
        Map<UUID, EventCost> adjusted = adjustments(clickHouse, from, to, after, upTo, runId);
        List<Event> out = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            UsageEvent e = events.get(i);
            EventCost w = written.get(i);
            EventCost a = adjusted.get(e.eventId());
            EventCost current = a == null ? w : plus(w, a);
            out.add(new Event(e, current, selected(request, e, w, current)));
        }
        return new Chunk(out, upTo);
    }

    /**
     * Whether the request asks for this event: every event without a model filter; with one, an event recorded or
     * priced as one of the models; with {@code includeUnpriced}, also every event unpriced now.
     */
    private static boolean selected(RepriceRequest request, UsageEvent e, EventCost written, EventCost current) {
        if (request.models().isEmpty() && !request.includeUnpriced()) {
            return true;
        }
        if (request.includeUnpriced() && current.total() == null) {
            return true;
        }
        return request.models().contains(e.model()) || request.models().contains(written.pricingModel())
                || request.models().contains(current.pricingModel());
    }

    /** The written cost plus the sums of the other runs' deltas, with the latest run's status and price row. */
    private static EventCost plus(EventCost written, EventCost deltas) {
        if (deltas.status() == EventCost.Status.UNPRICED) {
            return EventCost.unpriced(deltas.basis());
        }
        return new EventCost(deltas.status(), add(written.input(), deltas.input()),
                add(written.cachedInput(), deltas.cachedInput()), add(written.cacheCreation(), deltas.cacheCreation()),
                add(written.output(), deltas.output()), add(written.reasoning(), deltas.reasoning()),
                add(written.audio(), deltas.audio()), add(written.toolUse(), deltas.toolUse()),
                add(written.image(), deltas.image()), add(written.webSearch(), deltas.webSearch()),
                add(written.seconds(), deltas.seconds()), add(written.total(), deltas.total()), deltas.pricingModel(), deltas.pricingId(),
                deltas.pricingOverrideId(), deltas.basis());
    }

    private static BigDecimal add(BigDecimal written, BigDecimal delta) {
        return (written == null ? BigDecimal.ZERO : written).add(delta);
    }

    /** The other runs' adjustments of the events in the range, summed per event (carried as an EventCost of deltas). */
    private static Map<UUID, EventCost> adjustments(ClickHouse clickHouse, Instant from, Instant to, Key after, Key last,
                                                    long runId) {
        Map<String, String> params = new HashMap<>();
        String range = range(from, to, after, last, params, "");
        params.put("run", Long.toString(runId));
        StringJoiner sums = new StringJoiner(", ");
        for (String col : COSTS) {
            sums.add("sum(" + col + ") AS d_" + col);
        }
        RowBinaryResult r = clickHouse.queryRowBinary("SELECT event_id AS id, " + sums
                + ", argMax(cost_status, run_id) AS status, argMax(pricing_model, run_id) AS pricing_model,"
                + " argMax(pricing_id, run_id) AS pricing_id, argMax(pricing_override_id, run_id) AS pricing_override_id"
                + " FROM llm_usage_adjustment WHERE " + range + " AND run_id != {run:UInt64} GROUP BY event_id"
                + " SETTINGS max_threads = 1", params);
        Map<UUID, EventCost> out = new HashMap<>();
        if (r.rowCount() == 0) {
            return out;
        }
        int id = r.column("id");
        int status = r.column("status");
        int model = r.column("pricing_model");
        int pricing = r.column("pricing_id");
        int override = r.column("pricing_override_id");
        int[] d = new int[COSTS.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = r.column("d_" + COSTS.get(i));
        }
        while (r.next()) {
            out.put(r.uuid(id), new EventCost(STATUS.get(r.enumName(status)), r.decimal(d[0]), r.decimal(d[1]),
                    r.decimal(d[2]), r.decimal(d[3]), r.decimal(d[4]), r.decimal(d[5]), r.decimal(d[6]),
                    r.decimal(d[7]), r.decimal(d[8]), r.decimal(d[9]), r.decimal(d[10]), r.string(model), r.uint64(pricing), r.uint64(override), EventCost.Basis.NONE));
        }
        return out;
    }

    /**
     * {@code [from, to)} and the key range {@code (after, last]} (either end open when null), as a WHERE
     * condition over a table sorted by the key ({@code prefix}: its alias). The user_id bounds let ClickHouse
     * find the range in the primary index; the tuple comparisons make it exact.
     */
    static String range(Instant from, Instant to, Key after, Key last, Map<String, String> params, String prefix) {
        params.put("from", CH_TIME.format(from));
        params.put("to", CH_TIME.format(to));
        StringBuilder where = new StringBuilder(prefix + "event_time >= {from:DateTime64(3, 'UTC')} AND " + prefix
                + "event_time < {to:DateTime64(3, 'UTC')}");
        if (after != null) {
            bind(params, "a", after);
            where.append(" AND ").append(prefix).append("user_id >= {a_user:String} AND ").append(KEY.formatted(prefix))
                    .append(" > ({a_user:String}, {a_ws:String}, {a_time:DateTime64(3, 'UTC')}, {a_event:UUID})");
        }
        if (last != null) {
            bind(params, "l", last);
            where.append(" AND ").append(prefix).append("user_id <= {l_user:String} AND ").append(KEY.formatted(prefix))
                    .append(" <= ({l_user:String}, {l_ws:String}, {l_time:DateTime64(3, 'UTC')}, {l_event:UUID})");
        }
        return where.toString();
    }

    private static void bind(Map<String, String> params, String name, Key key) {
        params.put(name + "_user", key.user());
        params.put(name + "_ws", key.workspace());
        params.put(name + "_time", CH_TIME.format(key.time()));
        params.put(name + "_event", key.event().toString());
    }

    /**
     * The part of a request's filter ClickHouse can apply to the rows of {@code llm_usage AS u} (" AND ...", or
     * empty): its workspace and, without "unpriced now", its models by what the rows hold.
     */
    static String requestFilter(RepriceRequest request, Map<String, String> params) {
        StringBuilder filter = new StringBuilder();
        if (request.workspace() != null) {
            params.put("workspace", request.workspace());
            filter.append(" AND u.workspace_id = {workspace:String}");
        }
        if (!request.models().isEmpty() && !request.includeUnpriced()) {
            params.put("models", models(request));
            filter.append(" AND (u.model IN {models:Array(String)} OR u.pricing_model IN {models:Array(String)})");
        }
        return filter.toString();
    }

    static String models(RepriceRequest request) {
        StringJoiner models = new StringJoiner(",", "[", "]");
        for (String m : request.models()) {
            models.add(dev.tokenledger.clickhouse.Identifiers.stringLiteral(m));
        }
        return models.toString();
    }

    private static String columns(String prefix, String alias) {
        StringJoiner out = new StringJoiner(", ");
        for (String col : COSTS) {
            out.add(prefix + col + " AS " + alias + col);
        }
        return out.toString();
    }

    private static final Map<String, EventCost.Status> STATUS = Map.of("priced", EventCost.Status.PRICED,
            "unpriced", EventCost.Status.UNPRICED, "override", EventCost.Status.OVERRIDE);

    /** The result's column indexes, looked up once. */
    private static final class Columns {
        final int id, at, user, workspace, agent, model, provider, session, tier, prompt, completion, total, toolUse,
                thoughts, cached, cacheCreation, cacheCreation1h, audioPrompt, audioCompletion, status, pricingModel,
                pricingId, overrideId, imagePrompt, imageCompletion, webSearches, inputImages, outputImages,
                inputAudioSeconds, inputVideoSeconds, outputAudioSeconds, outputVideoSeconds, inferenceGeo;
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
            imagePrompt = r.column("image_prompt_tokens");
            imageCompletion = r.column("image_completion_tokens");
            webSearches = r.column("web_search_requests");
            inputImages = r.column("input_images");
            outputImages = r.column("output_images");
            inputAudioSeconds = r.column("input_audio_seconds");
            inputVideoSeconds = r.column("input_video_seconds");
            outputAudioSeconds = r.column("output_audio_seconds");
            outputVideoSeconds = r.column("output_video_seconds");
            inferenceGeo = r.column("inference_geo");
            status = r.column("status");
            pricingModel = r.column("pricing_model");
            pricingId = r.column("pricing_id");
            overrideId = r.column("pricing_override_id");
            costs = new int[COSTS.size()];
            for (int i = 0; i < costs.length; i++) {
                costs[i] = r.column("w_" + COSTS.get(i));
            }
        }
    }
}
