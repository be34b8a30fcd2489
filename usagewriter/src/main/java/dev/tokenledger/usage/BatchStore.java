package dev.tokenledger.usage;

import static dev.tokenledger.postgres.schema.Tables.USAGE_BATCH;
import static dev.tokenledger.postgres.schema.Tables.USAGE_DEAD_LETTER;
import static dev.tokenledger.postgres.schema.Tables.USAGE_EVENT;
import static dev.tokenledger.postgres.schema.Tables.USAGE_DUPLICATE;
import static dev.tokenledger.postgres.schema.Tables.USAGE_WRITTEN_DAY;
import static org.jooq.impl.DSL.row;

import dev.tokenledger.postgres.schema.tables.records.UsageBatchRecord;
import dev.tokenledger.postgres.schema.tables.records.UsageEventRecord;
import java.lang.management.ManagementFactory;
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
import java.util.UUID;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.SQLDialect;
import org.jooq.exception.DataAccessException;
import org.postgresql.PGStatement;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/** The Postgres side of writing a batch: its definition, its events, attempts, dead letters, and the written mark. */
final class BatchStore {
    private final DataSource dataSource;
    private final DSLContext db;
    /** This process as the written mark names it ("pid@host"), so a batch can be traced to its writer. */
    private final String processName = ManagementFactory.getRuntimeMXBean().getName();

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

    /** usage_event's columns in the order {@link #storedEvent(ResultSet)} reads them. */
    static final String EVENT_COLUMNS = """
            event_id, event_time, user_id, workspace_id, conversation_id, message_id, agent_id, agent_db_id,
                   model, provider, prompt_tokens, completion_tokens, total_tokens, tool_use_prompt_tokens,
                   thoughts_tokens, cached_tokens, cache_creation_tokens, cache_creation_1h_tokens,
                   audio_prompt_tokens, audio_completion_tokens, call_sequence, turn_id, session_id, service_tier,
                   image_prompt_tokens, image_completion_tokens, web_search_requests, input_images, output_images,
                   input_audio_seconds, input_video_seconds, output_audio_seconds, output_video_seconds,
                   inference_geo""";
    private static final String EVENTS = "SELECT " + EVENT_COLUMNS + """

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
                    out.add(storedEvent(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new DataAccessException("cannot read the events of usage batch " + batch.getBatchId() + ": "
                    + e.getMessage(), e);
        }
    }

    /** One row of {@link #EVENT_COLUMNS}: the event, or, when its values fail validation, why. */
    static StoredEvent storedEvent(ResultSet rs) throws SQLException {
        UUID id = rs.getObject(1, UUID.class);
        Instant time = rs.getObject(2, OffsetDateTime.class).toInstant();
        try {
            return new StoredEvent(id, time, new UsageEvent(id, time, rs.getString(3), rs.getString(4),
                    rs.getObject(5, UUID.class), rs.getString(6), rs.getString(7), rs.getString(8),
                    rs.getString(9), rs.getString(10), rs.getLong(11), rs.getLong(12), rs.getLong(13),
                    rs.getLong(14), rs.getLong(15), rs.getLong(16), rs.getLong(17), rs.getLong(18),
                    rs.getLong(19), rs.getLong(20), rs.getInt(21), rs.getString(22), rs.getString(23),
                    rs.getString(24), rs.getLong(25), rs.getLong(26), rs.getLong(27), rs.getLong(28), rs.getLong(29),
                    rs.getBigDecimal(30), rs.getBigDecimal(31), rs.getBigDecimal(32), rs.getBigDecimal(33),
                    rs.getString(34)), null);
        } catch (InvalidUsageEventException e) {
            return new StoredEvent(id, time, null, e.getMessage());
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

    /** Locks ClickHouse months across processes (see {@link MonthLocks}): shared for writes, exclusive for repairs. */
    MonthLocks lockMonths(Collection<Integer> months, boolean shared, java.time.Duration timeout) {
        return MonthLocks.acquire(dataSource, months, shared, timeout);
    }

    void recordFailure(long batchId, String error) {
        db.update(USAGE_BATCH)
                .set(USAGE_BATCH.LAST_ERROR, error.length() > 2000 ? error.substring(0, 2000) : error)
                .where(USAGE_BATCH.BATCH_ID.eq(batchId))
                .execute();
    }

    /** Whether any of these events was erased (a batch's rows in memory may hold erased events; PostgreSQL's do not). */
    boolean anyErased(List<StoredEvent> rows) {
        UUID[] ids = rows.stream().map(StoredEvent::eventId).toArray(UUID[]::new);
        return db.fetchExists(DSL.selectOne().from(DSL.table(DSL.name("usage_erased_event")))
                .where(DSL.condition("event_id = ANY(?::uuid[])", (Object) ids)));
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
     * Marks the batch written and stores what became of its events per day (the PostgreSQL side of reconcile),
     * in one transaction. Returns false if another attempt had already marked it.
     */
    boolean markWritten(long batchId, BatchTally tally, Instant now) {
        return db.transactionResult(tx -> {
            int updated = tx.dsl().update(USAGE_BATCH)
                    .set(USAGE_BATCH.WRITTEN_AT, now.atOffset(ZoneOffset.UTC))
                    .set(USAGE_BATCH.WRITTEN_EVENTS, Math.toIntExact(tally.written()))
                    .set(USAGE_BATCH.WRITTEN_BY, processName)
                    .setNull(USAGE_BATCH.LAST_ERROR)
                    .where(USAGE_BATCH.BATCH_ID.eq(batchId))
                    .and(USAGE_BATCH.WRITTEN_AT.isNull())
                    .execute();
            if (updated == 0) {
                return false;
            }
            for (Map.Entry<LocalDate, BatchTally.Day> day : tally.days().entrySet()) {
                BatchTally.Day t = day.getValue();
                var insert = tx.dsl().insertInto(USAGE_WRITTEN_DAY)
                        .set(USAGE_WRITTEN_DAY.BATCH_ID, batchId)
                        .set(USAGE_WRITTEN_DAY.DAY, day.getKey())
                        .set(USAGE_WRITTEN_DAY.ACCEPTED_EVENTS, t.accepted)
                        .set(USAGE_WRITTEN_DAY.DEAD_LETTERED_EVENTS, t.deadLettered)
                        .set(USAGE_WRITTEN_DAY.DUPLICATE_EVENTS, t.duplicates);
                for (Map.Entry<Measure, BigDecimal> m : t.measures().entrySet()) {
                    insert = insert.set(DSL.field(DSL.name(m.getKey().column()), SQLDataType.NUMERIC), m.getValue());
                }
                insert.onConflictDoNothing().execute();
            }
            return true;
        });
    }

    /** Late duplicates already found in this batch (by an earlier attempt): excluded from every attempt since. */
    Set<UUID> duplicates(long batchId) {
        return new HashSet<>(db.select(USAGE_DUPLICATE.EVENT_ID).from(USAGE_DUPLICATE)
                .where(USAGE_DUPLICATE.BATCH_ID.eq(batchId)).fetch(USAGE_DUPLICATE.EVENT_ID));
    }

    /** Records late duplicates before the insert that leaves them out, so every later attempt leaves out the same. */
    void addDuplicates(long batchId, Collection<LateDuplicates.Found> found, Instant now) {
        if (found.isEmpty()) {
            return;
        }
        db.transaction(tx -> {
            for (LateDuplicates.Found d : found) {
                tx.dsl().insertInto(USAGE_DUPLICATE)
                        .set(USAGE_DUPLICATE.BATCH_ID, batchId)
                        .set(USAGE_DUPLICATE.EVENT_ID, d.eventId())
                        .set(USAGE_DUPLICATE.EVENT_TIME, d.eventTime().atOffset(ZoneOffset.UTC))
                        .set(USAGE_DUPLICATE.ORIGINAL_BATCH, d.originalBatch())
                        .set(USAGE_DUPLICATE.DETECTED_AT, now.atOffset(ZoneOffset.UTC))
                        .onConflictDoNothing()
                        .execute();
            }
        });
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
