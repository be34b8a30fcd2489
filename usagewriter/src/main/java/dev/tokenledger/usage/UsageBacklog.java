package dev.tokenledger.usage;

import static dev.tokenledger.postgres.schema.Tables.USAGE_BATCH;
import static dev.tokenledger.postgres.schema.Tables.USAGE_EVENT;
import static org.jooq.impl.DSL.count;
import static org.jooq.impl.DSL.min;
import static org.jooq.impl.DSL.row;
import static org.jooq.impl.DSL.sum;

import dev.tokenledger.postgres.schema.tables.records.UsageBatchRecord;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.OffsetDateTime;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.Record2;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/** What is accepted but not yet in ClickHouse, and how old the oldest of it is. *
 * <p>Safe to use from many threads; it only reads.
 */
public final class UsageBacklog {
    /**
     * @param unsealedEvents committed events not yet in a batch
     * @param unwrittenBatches sealed batches not yet written
     * @param unwrittenEvents events in those batches
     * @param oldestPending age of the oldest event not yet written; zero when nothing is pending
     */
    public record Snapshot(long unsealedEvents, long unwrittenBatches, long unwrittenEvents, Duration oldestPending) {
        public long pendingEvents() {
            return unsealedEvents + unwrittenEvents;
        }
    }

    private final DSLContext db;
    private final InstantSource clock;

    UsageBacklog(DataSource dataSource, InstantSource clock) {
        this.db = DSL.using(dataSource, SQLDialect.POSTGRES);
        this.clock = clock;
    }

    public Snapshot snapshot() {
        UsageBatchRecord last = db.selectFrom(USAGE_BATCH).orderBy(USAGE_BATCH.BATCH_ID.desc()).limit(1).fetchOne();
        long afterTx = last == null ? 0 : last.getLastTx();
        long afterSeq = last == null ? 0 : last.getLastSeq();
        Record2<Integer, OffsetDateTime> unsealed = db.select(count(), min(USAGE_EVENT.ACCEPTED_AT)).from(USAGE_EVENT)
                .where(row(USAGE_EVENT.TX_ID, USAGE_EVENT.SEQ).gt(afterTx, afterSeq)).fetchOne();
        Record2<BigDecimal, OffsetDateTime> unwritten = db.select(sum(USAGE_BATCH.EVENT_COUNT), min(USAGE_BATCH.SEALED_AT))
                .from(USAGE_BATCH).where(USAGE_BATCH.WRITTEN_AT.isNull()).fetchOne();
        int batches = db.fetchCount(USAGE_BATCH, USAGE_BATCH.WRITTEN_AT.isNull());
        Instant oldest = earliest(unsealed.value2(), unwritten.value2());
        Duration age = oldest == null ? Duration.ZERO : Duration.between(oldest, clock.instant());
        return new Snapshot(unsealed.value1(), batches, unwritten.value1() == null ? 0 : unwritten.value1().longValue(),
                age.isNegative() ? Duration.ZERO : age);
    }

    private static Instant earliest(OffsetDateTime a, OffsetDateTime b) {
        if (a == null) {
            return b == null ? null : b.toInstant();
        }
        if (b == null) {
            return a.toInstant();
        }
        return a.isBefore(b) ? a.toInstant() : b.toInstant();
    }
}
