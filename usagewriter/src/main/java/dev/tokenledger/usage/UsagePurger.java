package dev.tokenledger.usage;

import static dev.tokenledger.postgres.schema.Tables.USAGE_BATCH;
import static dev.tokenledger.postgres.schema.Tables.USAGE_EVENT;
import static org.jooq.impl.DSL.row;

import dev.tokenledger.postgres.schema.tables.records.UsageBatchRecord;
import java.time.Duration;
import java.time.InstantSource;
import java.time.ZoneOffset;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * Removes written events from usage_event once they are older than the idempotency window. What
 * reconcile needs stays (usage_batch and usage_written_day are small and kept); an unwritten event is
 * never removed.
 */
final class UsagePurger {
    private final DSLContext db;
    private final Duration window;
    private final InstantSource clock;

    UsagePurger(DataSource dataSource, Duration idempotencyWindow, InstantSource clock) {
        this.db = DSL.using(dataSource, SQLDialect.POSTGRES);
        this.window = idempotencyWindow;
        this.clock = clock;
    }

    /** Purges batch by batch, each in its own short transaction; returns the number of events removed. */
    public long purge() {
        long removed = 0;
        while (true) {
            UsageBatchRecord batch = db.selectFrom(USAGE_BATCH)
                    .where(USAGE_BATCH.PURGED_AT.isNull())
                    .and(USAGE_BATCH.WRITTEN_AT.lt(clock.instant().minus(window).atOffset(ZoneOffset.UTC)))
                    .orderBy(USAGE_BATCH.WRITTEN_AT)
                    .limit(1)
                    .fetchOne();
            if (batch == null) {
                return removed;
            }
            removed += db.transactionResult(tx -> {
                int n = tx.dsl().deleteFrom(USAGE_EVENT)
                        .where(row(USAGE_EVENT.TX_ID, USAGE_EVENT.SEQ).gt(batch.getAfterTx(), batch.getAfterSeq()))
                        .and(row(USAGE_EVENT.TX_ID, USAGE_EVENT.SEQ).le(batch.getLastTx(), batch.getLastSeq()))
                        .execute();
                tx.dsl().update(USAGE_BATCH).set(USAGE_BATCH.PURGED_AT, clock.instant().atOffset(ZoneOffset.UTC))
                        .where(USAGE_BATCH.BATCH_ID.eq(batch.getBatchId())).execute();
                return n;
            });
        }
    }
}
