package dev.tokenledger.usage;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.postgresql.PGStatement;

/**
 * Inserts events with one statement (one array per column) and tells which ids were new. A quiet insert sends no
 * NOTIFY (the statement sets {@code tokenledger.notify} for its own transaction: see V29).
 *
 * <p>This is the one INSERT into usage_event, sent as a prepared statement rather than wrapped in a SQL function
 * (V14's {@code record_usage_events()}, dropped in V24): PostgreSQL re-plans a SQL function's INSERT on every call,
 * while the driver prepares this statement once per connection and the server reuses its plan.
 * Numbers go as binary {@code int8[]}/{@code int4[]} arrays; strings as {@code text[]}; event times as
 * ISO-8601 UTC text, so neither the JVM's nor the session's time zone can shift them.
 */
final class EventInsert {
    static final String SQL = """
            WITH quiet AS MATERIALIZED (SELECT set_config('tokenledger.notify', ?, true))
            INSERT INTO usage_event (event_id, event_time, user_id, workspace_id, conversation_id, message_id, agent_id,
                                     agent_db_id, model, provider, prompt_tokens, completion_tokens, total_tokens,
                                     tool_use_prompt_tokens, thoughts_tokens, cached_tokens, cache_creation_tokens,
                                     cache_creation_1h_tokens, audio_prompt_tokens, audio_completion_tokens,
                                     call_sequence, turn_id, session_id, service_tier, image_prompt_tokens,
                                     image_completion_tokens, web_search_requests, input_images, output_images,
                                     input_audio_seconds, input_video_seconds, output_audio_seconds,
                                     output_video_seconds, inference_geo)
            SELECT u.* FROM quiet, unnest(?::uuid[], ?::timestamptz[], ?::text[], ?::text[], ?::uuid[], ?::text[], ?::text[],
                                 ?::text[], ?::text[], ?::text[], ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[],
                                 ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int4[], ?::text[], ?::text[],
                                 ?::text[], ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::numeric[],
                                 ?::numeric[], ?::numeric[], ?::numeric[], ?::text[])
                 AS u (event_id, event_time, user_id, workspace_id, conversation_id, message_id, agent_id,
                       agent_db_id, model, provider, prompt_tokens, completion_tokens, total_tokens,
                       tool_use_prompt_tokens, thoughts_tokens, cached_tokens, cache_creation_tokens,
                       cache_creation_1h_tokens, audio_prompt_tokens, audio_completion_tokens,
                       call_sequence, turn_id, session_id, service_tier, image_prompt_tokens,
                       image_completion_tokens, web_search_requests, input_images, output_images,
                       input_audio_seconds, input_video_seconds, output_audio_seconds,
                       output_video_seconds, inference_geo)
            WHERE NOT EXISTS (SELECT 1 FROM usage_erased_event x WHERE x.event_id = u.event_id)
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id, tx_id, seq""";

    private EventInsert() {
    }

    /**
     * What an insert did: the ids that were new, the drain key each new row got, and the ids refused because their
     * event was erased (usage_erased_event; the rest of the ids not new are duplicates).
     */
    record Inserted(Set<UUID> ids, Map<RecentEvents.Key, UsageEvent> rows, Set<UUID> erased) {
    }

    /**
     * Runs on {@code connection} as it is: inside the caller's transaction, or, in autocommit mode, as a
     * transaction of its own that PostgreSQL has committed when this returns. Ids must be distinct.
     */
    static Inserted insert(Connection connection, List<UsageEvent> events) throws SQLException {
        return insertRows(connection, events, true);
    }

    static Inserted insertRows(Connection connection, List<UsageEvent> events, boolean notify) throws SQLException {
        int n = events.size();
        UUID[] eventId = new UUID[n];
        String[] eventTime = new String[n];
        String[] userId = new String[n];
        String[] workspaceId = new String[n];
        UUID[] conversationId = new UUID[n];
        String[] messageId = new String[n];
        String[] agentId = new String[n];
        String[] agentDbId = new String[n];
        String[] model = new String[n];
        String[] provider = new String[n];
        long[] prompt = new long[n];
        long[] completion = new long[n];
        long[] total = new long[n];
        long[] toolUse = new long[n];
        long[] thoughts = new long[n];
        long[] cached = new long[n];
        long[] cacheCreation = new long[n];
        long[] cacheCreation1h = new long[n];
        long[] audioPrompt = new long[n];
        long[] audioCompletion = new long[n];
        int[] callSequence = new int[n];
        String[] turnId = new String[n];
        String[] sessionId = new String[n];
        String[] serviceTier = new String[n];
        long[] imagePrompt = new long[n];
        long[] imageCompletion = new long[n];
        long[] webSearches = new long[n];
        long[] inputImages = new long[n];
        long[] outputImages = new long[n];
        BigDecimal[] inputAudioSeconds = new BigDecimal[n];
        BigDecimal[] inputVideoSeconds = new BigDecimal[n];
        BigDecimal[] outputAudioSeconds = new BigDecimal[n];
        BigDecimal[] outputVideoSeconds = new BigDecimal[n];
        String[] inferenceGeo = new String[n];
        for (int i = 0; i < n; i++) {
            UsageEvent e = events.get(i);
            eventId[i] = e.eventId();
            eventTime[i] = e.eventTime().toString(); // ISO-8601 in UTC: no time zone in between
            userId[i] = e.userId();
            workspaceId[i] = e.workspaceId();
            conversationId[i] = e.conversationId();
            messageId[i] = e.messageId();
            agentId[i] = e.agentId();
            agentDbId[i] = e.agentDbId();
            model[i] = e.model();
            provider[i] = e.provider();
            prompt[i] = e.promptTokens();
            completion[i] = e.completionTokens();
            total[i] = e.totalTokens();
            toolUse[i] = e.toolUsePromptTokens();
            thoughts[i] = e.thoughtsTokens();
            cached[i] = e.cachedTokens();
            cacheCreation[i] = e.cacheCreationTokens();
            cacheCreation1h[i] = e.cacheCreation1hTokens();
            audioPrompt[i] = e.audioPromptTokens();
            audioCompletion[i] = e.audioCompletionTokens();
            callSequence[i] = e.callSequence();
            turnId[i] = e.turnId();
            sessionId[i] = e.sessionId();
            serviceTier[i] = e.serviceTier();
            imagePrompt[i] = e.imagePromptTokens();
            imageCompletion[i] = e.imageCompletionTokens();
            webSearches[i] = e.webSearchRequests();
            inputImages[i] = e.inputImages();
            outputImages[i] = e.outputImages();
            inputAudioSeconds[i] = e.inputAudioSeconds();
            inputVideoSeconds[i] = e.inputVideoSeconds();
            outputAudioSeconds[i] = e.outputAudioSeconds();
            outputVideoSeconds[i] = e.outputVideoSeconds();
            inferenceGeo[i] = e.inferenceGeo();
        }
        Set<UUID> inserted = new HashSet<>(n * 2);
        Map<RecentEvents.Key, UsageEvent> rows = new HashMap<>(n * 2);
        try (PreparedStatement ps = connection.prepareStatement(SQL)) {
            // Server-prepared from the first use on a connection (the driver's default waits for five).
            ps.unwrap(PGStatement.class).setPrepareThreshold(1);
            int p = 1;
            ps.setString(p++, notify ? "on" : "off");
            ps.setArray(p++, connection.createArrayOf("uuid", eventId));
            ps.setObject(p++, eventTime);
            ps.setObject(p++, userId);
            ps.setObject(p++, workspaceId);
            ps.setArray(p++, connection.createArrayOf("uuid", conversationId));
            ps.setObject(p++, messageId);
            ps.setObject(p++, agentId);
            ps.setObject(p++, agentDbId);
            ps.setObject(p++, model);
            ps.setObject(p++, provider);
            for (long[] column : new long[][] {prompt, completion, total, toolUse, thoughts, cached, cacheCreation,
                    cacheCreation1h, audioPrompt, audioCompletion}) {
                ps.setObject(p++, column);
            }
            ps.setObject(p++, callSequence);
            ps.setObject(p++, turnId);
            ps.setObject(p++, sessionId);
            ps.setObject(p++, serviceTier);
            for (long[] column : new long[][] {imagePrompt, imageCompletion, webSearches, inputImages, outputImages}) {
                ps.setObject(p++, column);
            }
            for (BigDecimal[] column : new BigDecimal[][] {inputAudioSeconds, inputVideoSeconds, outputAudioSeconds,
                    outputVideoSeconds}) {
                ps.setArray(p++, connection.createArrayOf("numeric", column));
            }
            ps.setObject(p, inferenceGeo);
            try (ResultSet rs = ps.executeQuery()) {
                Map<UUID, UsageEvent> byId = null;
                while (rs.next()) {
                    UUID id = rs.getObject(1, UUID.class);
                    inserted.add(id);
                    if (byId == null) {
                        byId = new HashMap<>(n * 2);
                        for (UsageEvent e : events) {
                            byId.put(e.eventId(), e);
                        }
                    }
                    rows.put(new RecentEvents.Key(rs.getLong(2), rs.getLong(3)), byId.get(id));
                }
            }
        }
        Set<UUID> erased = Set.of();
        if (inserted.size() < n) {
            // Not new: a duplicate, or an erased event sent again (rare: one more look-up only then).
            List<UUID> notNew = new java.util.ArrayList<>(n - inserted.size());
            for (UUID id : eventId) {
                if (!inserted.contains(id)) {
                    notNew.add(id);
                }
            }
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT event_id FROM usage_erased_event WHERE event_id = ANY(?)")) {
                ps.setArray(1, connection.createArrayOf("uuid", notNew.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (erased.isEmpty()) {
                            erased = new HashSet<>();
                        }
                        erased.add(rs.getObject(1, UUID.class));
                    }
                }
            }
        }
        return new Inserted(inserted, rows, erased);
    }
}
