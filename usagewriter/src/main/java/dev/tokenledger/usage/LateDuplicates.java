package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Row;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.UUID;

/**
 * Finds the events of a batch that llm_usage already holds from another batch: an event recorded again after its
 * first batch left usage_event (the idempotency window), e.g. a client replaying its outbox after a long outage.
 * Those are not written again (they would be billed twice); the writer records them as late duplicates and
 * reconcile counts them.
 *
 * <p>Which events are looked up: only those old enough to be such a replay. An event whose first copy
 * PostgreSQL no longer holds was accepted more than the idempotency window ago, so its event_time (at most 5
 * minutes ahead of its acceptance) is older than the batch's seal time minus the window plus 5 minutes. A replay
 * carries its original event_time, so live traffic (recent events) costs nothing here.
 *
 * <p>How: by event_id among the rows whose event_time lies in the span of the looked-up events, read from
 * llm_usage's {@code by_event_time} projection (V5, sorted by time then id). The events are grouped into
 * stretches of close times (a new group after a gap of {@link #GAP} or at {@link #CHUNK} events), so a replay
 * reads the granules of its own stretch of time only (the bench's {@code integrity} scenario measures it).
 * The bound this gives: an event re-sent with the event_time it was first recorded with is found for as long as
 * its row is in llm_usage.
 */
final class LateDuplicates {
    /** record() refuses event times further ahead than this (UsageEvent), so an original is at most this young. */
    static final Duration FUTURE_BOUND = Duration.ofMinutes(5);
    /** Ids per lookup: the query parameter stays well under the server's URI and query size limits. */
    static final int CHUNK = 1_000;
    /** A gap in time this long starts a new lookup, so no lookup reads a long stretch for few events. */
    static final Duration GAP = Duration.ofHours(1);
    private static final DateTimeFormatter CH_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
            .withZone(ZoneOffset.UTC);
    static final String LOOKUP = """
            SELECT toString(event_id) AS id, min(batch_id) AS original_batch
            FROM llm_usage
            WHERE event_time >= {from:DateTime64(3, 'UTC')} AND event_time <= {to:DateTime64(3, 'UTC')}
              AND event_id IN {ids:Array(UUID)}
              AND NOT (batch_id = {batch:UInt64} AND ingested_at = {ingested:DateTime64(3, 'UTC')})
            GROUP BY event_id""";

    /** An event already in llm_usage under {@code originalBatch}. */
    record Found(UUID eventId, Instant eventTime, long originalBatch) {
    }

    private final ClickHouse clickHouse;
    private final Duration idempotencyWindow;

    LateDuplicates(ClickHouse clickHouse, Duration idempotencyWindow) {
        this.clickHouse = clickHouse;
        this.idempotencyWindow = idempotencyWindow;
    }

    /** The time before which an event of a batch sealed at {@code sealedAt} may be a late duplicate. */
    Instant candidatesBefore(Instant sealedAt) {
        return sealedAt.minus(idempotencyWindow).plus(FUTURE_BOUND);
    }

    /**
     * The events among {@code events} already in llm_usage under another batch (rows of this batch, from an
     * earlier attempt, are its own and never count).
     */
    List<Found> find(List<UsageEvent> events, long batchId, Instant ingestedAt, Instant sealedAt) {
        Instant before = candidatesBefore(sealedAt);
        List<UsageEvent> candidates = new ArrayList<>();
        for (UsageEvent e : events) {
            if (e.eventTime().isBefore(before)) {
                candidates.add(e);
            }
        }
        candidates.sort(Comparator.comparing(UsageEvent::eventTime));
        List<Found> found = new ArrayList<>();
        int from = 0;
        while (from < candidates.size()) {
            int to = from + 1;
            while (to < candidates.size() && to - from < CHUNK && Duration.between(candidates.get(to - 1).eventTime(),
                    candidates.get(to).eventTime()).compareTo(GAP) <= 0) {
                to++;
            }
            found.addAll(lookup(candidates.subList(from, to), batchId, ingestedAt));
            from = to;
        }
        return found;
    }

    /** One stretch of close event times. */
    private List<Found> lookup(List<UsageEvent> stretch, long batchId, Instant ingestedAt) {
        Map<UUID, Instant> times = new HashMap<>();
        StringJoiner array = new StringJoiner(",", "[", "]");
        for (UsageEvent e : stretch) {
            times.put(e.eventId(), e.eventTime());
            array.add("'" + e.eventId() + "'");
        }
        List<Found> found = new ArrayList<>();
        for (Row r : clickHouse.query(LOOKUP, Map.of("ids", array.toString(), "batch", Long.toString(batchId),
                "ingested", CH_TIME.format(ingestedAt), "from", CH_TIME.format(stretch.getFirst().eventTime()),
                "to", CH_TIME.format(stretch.getLast().eventTime())))) {
            UUID id = UUID.fromString(r.string("id"));
            found.add(new Found(id, times.get(id), r.int64("original_batch")));
        }
        return found;
    }
}
