package dev.tokenledger.usage;

import static dev.tokenledger.postgres.schema.Tables.USAGE_BATCH;
import static dev.tokenledger.postgres.schema.Tables.USAGE_DEAD_LETTER;
import static dev.tokenledger.postgres.schema.Tables.USAGE_EVENT;
import static dev.tokenledger.postgres.schema.Tables.USAGE_WRITTEN_DAY;
import static org.jooq.impl.DSL.row;

import dev.tokenledger.postgres.schema.tables.records.UsageBatchRecord;
import dev.tokenledger.postgres.schema.tables.records.UsageEventRecord;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.SQLDialect;
import org.jooq.exception.DataAccessException;
import org.postgresql.PGStatement;
import org.jooq.impl.DSL;

/** The Postgres side of writing a batch: its definition, its events, attempts, dead letters, and the written mark. */
final class BatchStore {
    private final DataSource dataSource;
    private final DSLContext db;

    BatchStore(DataSource dataSource) {
        this.dataSource = dataSource;
        this.db = DSL.using(dataSource, SQLDialect.POSTGRES);
    }

    UsageBatchRecord batch(long batchId) {
        UsageBatchRecord batch = db.selectFrom(USAGE_BATCH).where(USAGE_BATCH.BATCH_ID.eq(batchId)).fetchOne();
        if (batch == null) {
            throw new IllegalStateException("usage batch " + batchId + " does not exist");
        }
        return batch;
    }

    /** One stored row of a batch: the event, or, when the stored values fail validation, why. */
    record StoredEvent(UUID eventId, Instant eventTime, UsageEvent event, String invalid) {
    }

    private static final String EVENTS = """
            SELECT event_id, event_time, user_id, workspace_id, conversation_id, message_id, agent_id, agent_db_id,
                   model, provider, prompt_tokens, completion_tokens, total_tokens, tool_use_prompt_tokens,
                   thoughts_tokens, cached_tokens, cache_creation_tokens, cache_creation_1h_tokens,
                   audio_prompt_tokens, audio_completion_tokens, call_sequence, turn_id, session_id, service_tier
            FROM usage_event
            WHERE (tx_id, seq) > (?, ?) AND (tx_id, seq) <= (?, ?)
            ORDER BY tx_id, seq""";

    /**
     * The batch's events in drain order: the same rows, in the same order, on every attempt. Read with
     * plain JDBC straight into events (no intermediate records: this is the writer's hot path).
     */
    List<StoredEvent> events(UsageBatchRecord batch) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(EVENTS)) {
            // Server-prepared at once: results come in binary (uuid, int8, timestamptz) instead of text.
            ps.unwrap(PGStatement.class).setPrepareThreshold(1);
            ps.setLong(1, batch.getAfterTx());
            ps.setLong(2, batch.getAfterSeq());
            ps.setLong(3, batch.getLastTx());
            ps.setLong(4, batch.getLastSeq());
            List<StoredEvent> out = new ArrayList<>(batch.getEventCount());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    UUID id = rs.getObject(1, UUID.class);
                    Instant time = rs.getObject(2, OffsetDateTime.class).toInstant();
                    try {
                        out.add(new StoredEvent(id, time, new UsageEvent(id, time, rs.getString(3), rs.getString(4),
                                rs.getObject(5, UUID.class), rs.getString(6), rs.getString(7), rs.getString(8),
                                rs.getString(9), rs.getString(10), rs.getLong(11), rs.getLong(12), rs.getLong(13),
                                rs.getLong(14), rs.getLong(15), rs.getLong(16), rs.getLong(17), rs.getLong(18),
                                rs.getLong(19), rs.getLong(20), rs.getInt(21), rs.getString(22), rs.getString(23),
                                rs.getString(24)), null));
                    } catch (InvalidUsageEventException e) {
                        out.add(new StoredEvent(id, time, null, e.getMessage()));
                    }
                }
            }
            return out;
        } catch (SQLException e) {
            throw new DataAccessException("cannot read the events of usage batch " + batch.getBatchId() + ": "
                    + e.getMessage(), e);
        }
    }

    /** The stored rows of {@code ids} (for dead-letter payloads: rare, so jOOQ's records are fine here). */
    Map<UUID, UsageEventRecord> records(Collection<UUID> ids) {
        Map<UUID, UsageEventRecord> out = new HashMap<>();
        for (UsageEventRecord r : db.selectFrom(USAGE_EVENT).where(USAGE_EVENT.EVENT_ID.in(ids)).fetch()) {
            out.put(r.getEventId(), r);
        }
        return out;
    }

    /** Counts this attempt and returns how many attempts came before it. */
    int startAttempt(long batchId) {
        Integer attempts = db.update(USAGE_BATCH)
                .set(USAGE_BATCH.ATTEMPTS, USAGE_BATCH.ATTEMPTS.plus(1))
                .where(USAGE_BATCH.BATCH_ID.eq(batchId))
                .returning(USAGE_BATCH.ATTEMPTS)
                .fetchOne(USAGE_BATCH.ATTEMPTS);
        return attempts == null ? 0 : attempts - 1;
    }

    /**
     * Runs {@code work} while holding a lock on the batch in PostgreSQL (one transaction, released at its end),
     * so two attempts of one batch (a job JobRunr believed orphaned runs next to the original) never repair it
     * both.
     */
    void underBatchLock(long batchId, Runnable work) {
        db.transaction(tx -> {
            tx.dsl().select(DSL.field("pg_advisory_xact_lock({0}, {1})", Object.class,
                    DSL.val(BATCH_LOCK), DSL.val((int) batchId))).fetch();
            work.run();
        });
    }

    private static final int BATCH_LOCK = 0x75737772; // "uswr"

    void recordFailure(long batchId, String error) {
        db.update(USAGE_BATCH)
                .set(USAGE_BATCH.LAST_ERROR, error.length() > 2000 ? error.substring(0, 2000) : error)
                .where(USAGE_BATCH.BATCH_ID.eq(batchId))
                .execute();
    }

    Set<UUID> deadLetters(long batchId) {
        return new HashSet<>(db.select(USAGE_DEAD_LETTER.EVENT_ID).from(USAGE_DEAD_LETTER)
                .where(USAGE_DEAD_LETTER.BATCH_ID.eq(batchId)).fetch(USAGE_DEAD_LETTER.EVENT_ID));
    }

    void addDeadLetters(long batchId, Collection<DeadLetter> letters, Instant now) {
        if (letters.isEmpty()) {
            return;
        }
        db.transaction(tx -> {
            for (DeadLetter d : letters) {
                tx.dsl().insertInto(USAGE_DEAD_LETTER)
                        .set(USAGE_DEAD_LETTER.EVENT_ID, d.eventId())
                        .set(USAGE_DEAD_LETTER.BATCH_ID, batchId)
                        .set(USAGE_DEAD_LETTER.EVENT_TIME, d.eventTime().atOffset(ZoneOffset.UTC))
                        .set(USAGE_DEAD_LETTER.ERROR, d.error())
                        .set(USAGE_DEAD_LETTER.CLICKHOUSE_CODE, d.clickhouseCode())
                        .set(USAGE_DEAD_LETTER.PAYLOAD, JSONB.valueOf(d.payloadJson()))
                        .set(USAGE_DEAD_LETTER.DEAD_LETTERED_AT, now.atOffset(ZoneOffset.UTC))
                        .onConflictDoNothing()
                        .execute();
            }
        });
    }

    /**
     * Marks the batch written and stores what was written per day (the Postgres side of reconcile), in
     * one transaction. Returns false if another attempt had already marked it.
     */
    boolean markWritten(long batchId, List<PricedEvent> written, Instant now) {
        return db.transactionResult(tx -> {
            int updated = tx.dsl().update(USAGE_BATCH)
                    .set(USAGE_BATCH.WRITTEN_AT, now.atOffset(ZoneOffset.UTC))
                    .set(USAGE_BATCH.WRITTEN_EVENTS, written.size())
                    .setNull(USAGE_BATCH.LAST_ERROR)
                    .where(USAGE_BATCH.BATCH_ID.eq(batchId))
                    .and(USAGE_BATCH.WRITTEN_AT.isNull())
                    .execute();
            if (updated == 0) {
                return false;
            }
            for (Map.Entry<LocalDate, DayTotals> day : perDay(written).entrySet()) {
                DayTotals t = day.getValue();
                tx.dsl().insertInto(USAGE_WRITTEN_DAY)
                        .set(USAGE_WRITTEN_DAY.BATCH_ID, batchId)
                        .set(USAGE_WRITTEN_DAY.DAY, day.getKey())
                        .set(USAGE_WRITTEN_DAY.EVENTS, t.events)
                        .set(USAGE_WRITTEN_DAY.UNPRICED_EVENTS, t.unpriced)
                        .set(USAGE_WRITTEN_DAY.PROMPT_TOKENS, t.prompt)
                        .set(USAGE_WRITTEN_DAY.COMPLETION_TOKENS, t.completion)
                        .set(USAGE_WRITTEN_DAY.TOTAL_TOKENS, t.total)
                        .set(USAGE_WRITTEN_DAY.COST_USD, t.cost)
                        .onConflictDoNothing()
                        .execute();
            }
            return true;
        });
    }

    private static Map<LocalDate, DayTotals> perDay(List<PricedEvent> written) {
        Map<LocalDate, DayTotals> days = new TreeMap<>();
        for (PricedEvent p : written) {
            DayTotals t = days.computeIfAbsent(LocalDate.ofInstant(p.event().eventTime(), ZoneOffset.UTC),
                    d -> new DayTotals());
            t.events++;
            t.prompt += p.event().promptTokens();
            t.completion += p.event().completionTokens();
            t.total += p.event().totalTokens();
            if (p.cost().total() == null) {
                t.unpriced++;
            } else {
                t.cost = t.cost.add(p.cost().total());
            }
        }
        return days;
    }

    private static final class DayTotals {
        long events;
        long unpriced;
        long prompt;
        long completion;
        long total;
        BigDecimal cost = BigDecimal.ZERO;
    }

    /** An event ClickHouse (or validation) refused, kept whole with the reason. */
    record DeadLetter(UUID eventId, Instant eventTime, String error, Integer clickhouseCode, String payloadJson) {
    }

    static List<UUID> ids(List<PricedEvent> events) {
        List<UUID> ids = new ArrayList<>(events.size());
        for (PricedEvent p : events) {
            ids.add(p.event().eventId());
        }
        return ids;
    }
}
