package dev.tokenledger.pricing;

import java.time.Instant;
import java.util.List;

/**
 * One {@code pricing_refresh} run, as logged in {@code pricing_refresh_log}.
 *
 * @param id             the log row's id
 * @param source         the URL, {@code file:} path or {@code bundled:} resource read
 * @param reason         why it was refused or failed, in words; null otherwise
 * @param modelsInFeed   models that loaded from the feed (skipped entries not counted); null if never read
 * @param added          models new to the book, or listed again after being gone
 * @param changed        models whose price changed: a new price window opened
 * @param removed        models the feed stopped listing (their last price stays valid)
 * @param updated        models whose price is the same but whose other keys changed (updated in place)
 * @param skipped        malformed entries skipped
 * @param skippedEntries the skipped entries by name with the reason; only on the result of the run itself
 *                       (the log keeps the count)
 * @param feedSha256     sha-256 of the feed's bytes
 * @param etag           the server's ETag, sent back as {@code If-None-Match} next time
 */
public record RefreshResult(long id, String source, RefreshOutcome outcome, String reason, Instant startedAt,
                            Instant finishedAt, Integer modelsInFeed, int added, int changed, int removed, int updated,
                            int skipped, List<SkippedEntry> skippedEntries, String feedSha256, String etag) {
    public RefreshResult {
        skippedEntries = List.copyOf(skippedEntries);
    }
}
