package dev.tokenledger.usage;

import static dev.tokenledger.postgres.schema.Tables.USAGE_BATCH;
import static dev.tokenledger.postgres.schema.Tables.USAGE_DEAD_LETTER;
import static dev.tokenledger.postgres.schema.Tables.USAGE_WRITTEN_REPLAY;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.InsertBatch;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.postgres.schema.tables.records.UsageBatchRecord;
import dev.tokenledger.postgres.schema.tables.records.UsageDeadLetterRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * The events refused on their way to ClickHouse (usage_dead_letter), and what an admin does with them. A dead
 * letter is unresolved until it is replayed (re-validated, priced and written under a token of its own, recorded
 * before it is sent) or discarded with a reason; either way the row stays, as the audit. Reconcile counts every
 * state, and an unresolved dead letter keeps the ledger from being clean.
 *
 * <p>Safe to use from many threads; every change is one PostgreSQL transaction.
 */
public final class DeadLetters {
    static final String REPLAYED = "replayed";
    static final String DISCARDED = "discarded";
    private static final DateTimeFormatter CH_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
            .withZone(ZoneOffset.UTC);

    private final DataSource dataSource;
    private final DSLContext db;
    private final ClickHouse clickHouse;
    private final EventPricer pricer;
    private final LedgerIdentity identity;
    private final InstantSource clock;

    DeadLetters(DataSource dataSource, ClickHouse clickHouse, EventPricer pricer, InstantSource clock) {
        this.dataSource = dataSource;
        this.db = DSL.using(dataSource, SQLDialect.POSTGRES);
        this.clickHouse = clickHouse;
        this.pricer = pricer;
        this.identity = new LedgerIdentity(dataSource, clickHouse, clock);
        this.clock = clock;
    }

    /**
     * One dead letter.
     *
     * @param resolution null while unresolved, else {@code replayed} or {@code discarded}
     * @param payload    the event as it was stored (usage_event's columns), JSON
     */
    public record Letter(UUID eventId, long batchId, Instant eventTime, String error, Integer clickhouseCode,
                         Instant deadLetteredAt, String resolution, Instant resolvedAt, String resolvedBy,
                         String resolutionReason, String replayToken, String payload) {
        public boolean unresolved() {
            return resolution == null;
        }
    }

    /** Thrown for a replay or discard that cannot be done; nothing was changed. */
    public static final class RefusedException extends IllegalStateException {
        RefusedException(String message) {
            super(message);
        }
    }

    /** Unresolved dead letters, oldest first (all of them with {@code includeResolved}). */
    public List<Letter> list(boolean includeResolved, int limit) {
        var query = db.selectFrom(USAGE_DEAD_LETTER);
        var where = includeResolved ? query.where(DSL.trueCondition()) : query.where(USAGE_DEAD_LETTER.RESOLUTION.isNull());
        return where.orderBy(USAGE_DEAD_LETTER.DEAD_LETTERED_AT, USAGE_DEAD_LETTER.EVENT_ID).limit(limit).fetch()
                .map(DeadLetters::letter);
    }

    /** How many wait for an admin (health and metrics read this). */
    public long unresolvedCount() {
        return db.fetchCount(USAGE_DEAD_LETTER, USAGE_DEAD_LETTER.RESOLUTION.isNull());
    }

    public Optional<Letter> find(UUID eventId) {
        return Optional.ofNullable(db.selectFrom(USAGE_DEAD_LETTER).where(USAGE_DEAD_LETTER.EVENT_ID.eq(eventId))
                .fetchOne()).map(DeadLetters::letter);
    }

    /**
     * Marks a dead letter discarded: it will never be written, and reconcile counts it as discarded. Needs a
     * reason; {@code by} names who did it.
     */
    public Letter discard(UUID eventId, String reason, String by) {
        if (reason == null || reason.isBlank()) {
            throw new RefusedException("a discard needs a reason (--reason): it is kept as the audit of why usage was"
                    + " dropped");
        }
        Letter letter = unresolved(eventId);
        int updated = db.update(USAGE_DEAD_LETTER)
                .set(USAGE_DEAD_LETTER.RESOLUTION, DISCARDED)
                .set(USAGE_DEAD_LETTER.RESOLVED_AT, clock.instant().atOffset(ZoneOffset.UTC))
                .set(USAGE_DEAD_LETTER.RESOLVED_BY, by)
                .set(USAGE_DEAD_LETTER.RESOLUTION_REASON, reason.strip())
                .where(USAGE_DEAD_LETTER.EVENT_ID.eq(eventId)).and(USAGE_DEAD_LETTER.RESOLUTION.isNull())
                .execute();
        if (updated == 0) {
            throw new RefusedException("dead letter " + eventId + " was resolved by someone else meanwhile");
        }
        return find(letter.eventId()).orElseThrow();
    }

    /**
     * Re-validates the stored event, prices it and writes it into llm_usage under a token of its own (recorded
     * before it is sent, so a replay interrupted anywhere and run again writes it once). Refused, with nothing
     * changed, when the event still fails validation or llm_usage already holds its id.
     */
    public Letter replay(UUID eventId, String by) {
        Letter letter = unresolved(eventId);
        BatchStore.StoredEvent stored = storedEvent(eventId);
        if (stored.event() == null) {
            throw new RefusedException("dead letter " + eventId + " still fails validation: " + stored.invalid()
                    + ". Fix the stored payload (usage_dead_letter.payload) or discard it with a reason");
        }
        UsageEvent event = stored.event();
        UUID installation = identity.requireMatch();
        UsageBatchRecord batch = db.selectFrom(USAGE_BATCH).where(USAGE_BATCH.BATCH_ID.eq(letter.batchId())).fetchSingle();
        Instant ingestedAt = prepareReplay(eventId, installation);
        String token = db.select(USAGE_DEAD_LETTER.REPLAY_TOKEN).from(USAGE_DEAD_LETTER)
                .where(USAGE_DEAD_LETTER.EVENT_ID.eq(eventId)).fetchSingle().value1();
        PricedEvent priced = new PricedEvent(event, pricer.price(event));
        int month = BatchWriter.month(event.eventTime());
        try (MonthLocks lock = MonthLocks.acquire(dataSource, List.of(month), true, BatchWriter.MONTH_LOCK_WAIT)) {
            long elsewhere = count("SELECT count() AS n FROM llm_usage WHERE event_id = {id:UUID}"
                    + " AND ingested_at != {ingested:DateTime64(3, 'UTC')}", eventId, ingestedAt);
            if (elsewhere > 0) {
                throw new RefusedException("llm_usage already holds event " + eventId + " (written again later under"
                        + " another batch): replaying it would count it twice; discard this dead letter instead");
            }
            clickHouse.insert(new InsertBatch(BatchWriter.TABLE, UsageRows.encode(List.of(priced), batch.getBatchId(),
                    ingestedAt), 1, token, BatchWriter.INSERT_SETTINGS));
            if (count("SELECT count() AS n FROM llm_usage WHERE event_id = {id:UUID}"
                    + " AND ingested_at = {ingested:DateTime64(3, 'UTC')}", eventId, ingestedAt) != 1) {
                throw new IllegalStateException("ClickHouse acknowledged the replay of " + eventId + " but does not hold"
                        + " it; run the replay again");
            }
            markReplayed(priced, by);
        }
        return find(eventId).orElseThrow();
    }

    private Letter unresolved(UUID eventId) {
        Letter letter = find(eventId).orElseThrow(() -> new RefusedException("no dead letter with event_id " + eventId));
        if (!letter.unresolved()) {
            throw new RefusedException("dead letter " + eventId + " is already " + letter.resolution() + " (at "
                    + letter.resolvedAt() + " by " + letter.resolvedBy() + ")");
        }
        return letter;
    }

    /** The stored event, re-read from the payload into usage_event's row type and validated again. */
    private BatchStore.StoredEvent storedEvent(UUID eventId) {
        String sql = "SELECT " + BatchStore.EVENT_COLUMNS + " FROM jsonb_populate_record(null::usage_event,"
                + " (SELECT payload FROM usage_dead_letter WHERE event_id = ?))";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, eventId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return BatchStore.storedEvent(rs);
            }
        } catch (SQLException e) {
            throw new DataAccessException("cannot read dead letter " + eventId + "'s payload: " + e.getMessage(), e);
        }
    }

    /** Fixes the replay's token and row time once, before anything is sent; a second run reuses them. */
    private Instant prepareReplay(UUID eventId, UUID installation) {
        OffsetDateTime now = clock.instant().truncatedTo(ChronoUnit.MILLIS).atOffset(ZoneOffset.UTC);
        db.update(USAGE_DEAD_LETTER)
                .set(USAGE_DEAD_LETTER.REPLAY_TOKEN, "tokenledger/dead_letter_replay/v1/" + installation + "/" + eventId)
                .set(USAGE_DEAD_LETTER.REPLAY_INGESTED_AT, now)
                .where(USAGE_DEAD_LETTER.EVENT_ID.eq(eventId)).and(USAGE_DEAD_LETTER.REPLAY_TOKEN.isNull())
                .execute();
        return db.select(USAGE_DEAD_LETTER.REPLAY_INGESTED_AT).from(USAGE_DEAD_LETTER)
                .where(USAGE_DEAD_LETTER.EVENT_ID.eq(eventId)).fetchSingle().value1().toInstant();
    }

    /** The replayed event joins the written side of reconcile, and the letter is resolved, in one transaction. */
    private void markReplayed(PricedEvent priced, String by) {
        UUID eventId = priced.event().eventId();
        db.transaction(tx -> {
            var insert = tx.dsl().insertInto(USAGE_WRITTEN_REPLAY)
                    .set(USAGE_WRITTEN_REPLAY.EVENT_ID, eventId)
                    .set(USAGE_WRITTEN_REPLAY.DAY, LocalDate.ofInstant(priced.event().eventTime(), ZoneOffset.UTC));
            for (Measure m : Measure.values()) {
                if (m != Measure.EVENTS) {
                    insert = insert.set(DSL.field(DSL.name(m.column()), SQLDataType.NUMERIC), m.of(priced));
                }
            }
            insert.onConflictDoNothing().execute();
            tx.dsl().update(USAGE_DEAD_LETTER)
                    .set(USAGE_DEAD_LETTER.RESOLUTION, REPLAYED)
                    .set(USAGE_DEAD_LETTER.RESOLVED_AT, clock.instant().atOffset(ZoneOffset.UTC))
                    .set(USAGE_DEAD_LETTER.RESOLVED_BY, by)
                    .where(USAGE_DEAD_LETTER.EVENT_ID.eq(eventId)).and(USAGE_DEAD_LETTER.RESOLUTION.isNull())
                    .execute();
        });
    }

    private long count(String sql, UUID eventId, Instant ingestedAt) {
        List<Row> rows = clickHouse.query(sql, Map.of("id", eventId.toString(), "ingested", CH_TIME.format(ingestedAt)));
        return rows.getFirst().int64("n");
    }

    private static Letter letter(UsageDeadLetterRecord r) {
        return new Letter(r.getEventId(), r.getBatchId(), r.getEventTime().toInstant(), r.getError(),
                r.getClickhouseCode(), r.getDeadLetteredAt().toInstant(), r.getResolution(),
                r.getResolvedAt() == null ? null : r.getResolvedAt().toInstant(), r.getResolvedBy(),
                r.getResolutionReason(), r.getReplayToken(), r.getPayload() == null ? null : r.getPayload().data());
    }
}
