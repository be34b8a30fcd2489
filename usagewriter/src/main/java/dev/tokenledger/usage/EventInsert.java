package dev.tokenledger.usage;

import static dev.tokenledger.postgres.schema.Tables.RECORD_USAGE_EVENTS;

import dev.tokenledger.postgres.schema.tables.records.RecordUsageEventsRecord;
import java.sql.Connection;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/** Inserts events with one statement (one array per column) and tells which ids were new. */
final class EventInsert {
    private EventInsert() {
    }

    /** Runs in the connection's current transaction; the caller commits. Ids must be distinct. */
    static Set<UUID> insert(Connection connection, List<UsageEvent> events) {
        int n = events.size();
        UUID[] eventId = new UUID[n];
        OffsetDateTime[] eventTime = new OffsetDateTime[n];
        String[] userId = new String[n];
        String[] workspaceId = new String[n];
        UUID[] conversationId = new UUID[n];
        String[] messageId = new String[n];
        String[] agentId = new String[n];
        String[] agentDbId = new String[n];
        String[] model = new String[n];
        String[] provider = new String[n];
        Long[] prompt = new Long[n];
        Long[] completion = new Long[n];
        Long[] total = new Long[n];
        Long[] toolUse = new Long[n];
        Long[] thoughts = new Long[n];
        Long[] cached = new Long[n];
        Long[] cacheCreation = new Long[n];
        Long[] cacheCreation1h = new Long[n];
        Long[] audioPrompt = new Long[n];
        Long[] audioCompletion = new Long[n];
        Integer[] callSequence = new Integer[n];
        String[] turnId = new String[n];
        String[] sessionId = new String[n];
        String[] serviceTier = new String[n];
        for (int i = 0; i < n; i++) {
            UsageEvent e = events.get(i);
            eventId[i] = e.eventId();
            eventTime[i] = e.eventTime().atOffset(ZoneOffset.UTC);
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
        }
        List<RecordUsageEventsRecord> inserted = DSL.using(connection, SQLDialect.POSTGRES)
                .selectFrom(RECORD_USAGE_EVENTS.call(eventId, eventTime, userId, workspaceId, conversationId,
                        messageId, agentId, agentDbId, model, provider, prompt, completion, total, toolUse, thoughts,
                        cached, cacheCreation, cacheCreation1h, audioPrompt, audioCompletion, callSequence, turnId,
                        sessionId, serviceTier))
                .fetch();
        Set<UUID> ids = new HashSet<>(inserted.size() * 2);
        for (RecordUsageEventsRecord r : inserted) {
            ids.add(r.getRecordUsageEvents());
        }
        return ids;
    }
}
