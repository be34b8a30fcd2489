package dev.tokenledger.pricing;

import static dev.tokenledger.postgres.schema.Tables.PRICING_REFRESH_LOG;

import dev.tokenledger.postgres.schema.tables.records.PricingRefreshLogRecord;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/** {@code pricing_refresh_log}: one row per run, whatever its outcome. */
final class RefreshLog {
    private RefreshLog() {
    }

    /** Records that a run started; committed at once so a crashed run still leaves its row. */
    static long start(DSLContext db, String source, Instant startedAt) {
        return db.insertInto(PRICING_REFRESH_LOG)
                .set(PRICING_REFRESH_LOG.STARTED_AT, Times.toOffset(startedAt))
                .set(PRICING_REFRESH_LOG.SOURCE, source)
                .set(PRICING_REFRESH_LOG.OUTCOME, RefreshOutcome.RUNNING.wireName())
                .returning(PRICING_REFRESH_LOG.ID)
                .fetchOne(PRICING_REFRESH_LOG.ID);
    }

    static void finish(DSLContext db, RefreshResult r) {
        db.update(PRICING_REFRESH_LOG)
                .set(PRICING_REFRESH_LOG.FINISHED_AT, Times.toOffset(r.finishedAt()))
                .set(PRICING_REFRESH_LOG.OUTCOME, r.outcome().wireName())
                .set(PRICING_REFRESH_LOG.REASON, r.reason())
                .set(PRICING_REFRESH_LOG.MODELS_IN_FEED, r.modelsInFeed())
                .set(PRICING_REFRESH_LOG.MODELS_ADDED, r.added())
                .set(PRICING_REFRESH_LOG.MODELS_CHANGED, r.changed())
                .set(PRICING_REFRESH_LOG.MODELS_REMOVED, r.removed())
                .set(PRICING_REFRESH_LOG.MODELS_UPDATED, r.updated())
                .set(PRICING_REFRESH_LOG.ENTRIES_SKIPPED, r.skipped())
                .set(PRICING_REFRESH_LOG.FEED_SHA256, r.feedSha256())
                .set(PRICING_REFRESH_LOG.ETAG, r.etag())
                .where(PRICING_REFRESH_LOG.ID.eq(r.id()))
                .execute();
    }

    /** The ETag of the latest successful run from this source, to send as {@code If-None-Match}. */
    static String lastEtag(DSLContext db, String source) {
        return db.select(PRICING_REFRESH_LOG.ETAG).from(PRICING_REFRESH_LOG)
                .where(PRICING_REFRESH_LOG.SOURCE.eq(source))
                .and(PRICING_REFRESH_LOG.OUTCOME.in(successes()))
                .orderBy(PRICING_REFRESH_LOG.ID.desc())
                .limit(1)
                .fetchOptional(PRICING_REFRESH_LOG.ETAG)
                .orElse(null);
    }

    /** When the latest successful run from this source finished. */
    static Optional<Instant> lastSuccess(DSLContext db, String source) {
        return Optional.ofNullable(Times.toInstant(db.select(DSL.max(PRICING_REFRESH_LOG.FINISHED_AT))
                .from(PRICING_REFRESH_LOG)
                .where(PRICING_REFRESH_LOG.SOURCE.eq(source))
                .and(PRICING_REFRESH_LOG.OUTCOME.in(successes()))
                .fetchOne(0, java.time.OffsetDateTime.class)));
    }

    static List<RefreshResult> recent(DSLContext db, int limit) {
        return db.selectFrom(PRICING_REFRESH_LOG).orderBy(PRICING_REFRESH_LOG.ID.desc()).limit(limit)
                .fetch(RefreshLog::toResult);
    }

    /** How many runs ended each way, every outcome present (zero when none). */
    static Map<RefreshOutcome, Long> countByOutcome(DSLContext db) {
        Map<RefreshOutcome, Long> counts = new EnumMap<>(RefreshOutcome.class);
        for (RefreshOutcome o : RefreshOutcome.values()) {
            counts.put(o, 0L);
        }
        db.select(PRICING_REFRESH_LOG.OUTCOME, DSL.count()).from(PRICING_REFRESH_LOG)
                .groupBy(PRICING_REFRESH_LOG.OUTCOME)
                .forEach(r -> counts.put(RefreshOutcome.parse(r.value1()), r.value2().longValue()));
        return counts;
    }

    private static RefreshResult toResult(PricingRefreshLogRecord r) {
        return new RefreshResult(r.getId(), r.getSource(), RefreshOutcome.parse(r.getOutcome()), r.getReason(),
                Times.toInstant(r.getStartedAt()), Times.toInstant(r.getFinishedAt()), r.getModelsInFeed(),
                zeroIfNull(r.getModelsAdded()), zeroIfNull(r.getModelsChanged()), zeroIfNull(r.getModelsRemoved()),
                zeroIfNull(r.getModelsUpdated()), zeroIfNull(r.getEntriesSkipped()), List.of(), r.getFeedSha256(),
                r.getEtag());
    }

    private static int zeroIfNull(Integer n) {
        return n == null ? 0 : n;
    }

    private static List<String> successes() {
        return java.util.Arrays.stream(RefreshOutcome.values()).filter(RefreshOutcome::isSuccess)
                .map(RefreshOutcome::wireName).toList();
    }
}
