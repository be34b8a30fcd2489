package dev.tokenledger.orchestrator.http;

import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.pricing.RefreshOutcome;
import dev.tokenledger.pricing.RefreshResult;
import dev.tokenledger.usage.UsageBacklog;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import org.jobrunr.storage.JobStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metrics that live in PostgreSQL (backlog, JobRunr jobs, pricing refreshes, unresolved dead letters, late
 * duplicates), read in one go per scrape (a gauge per number would query once per series). When PostgreSQL does
 * not answer the gauges are NaN, which Prometheus shows as missing data rather than a misleading zero, and the
 * late-duplicates counter keeps its last value; /readyz says why.
 */
final class DatabaseGauges {
    private static final Logger LOG = LoggerFactory.getLogger(DatabaseGauges.class);
    static final List<String> JOB_STATES = List.of("awaiting", "scheduled", "enqueued", "processing", "succeeded",
            "failed", "deleted");

    record Backlog(double pendingEvents, double unwrittenBatches, double oldestPendingSeconds) {
        static final Backlog UNKNOWN = new Backlog(Double.NaN, Double.NaN, Double.NaN);
    }

    private final Ledger ledger;
    private final UsageBacklog usageBacklog;
    private final InstantSource clock;
    private volatile Backlog backlog = Backlog.UNKNOWN;
    private volatile JobStats jobStats;
    private volatile Map<RefreshOutcome, Long> refreshes = Map.of();
    private volatile double lastGoodRefreshSeconds = Double.NaN;
    private volatile double deadLettersUnresolved = Double.NaN;
    private volatile double lateDuplicates = Double.NaN;

    DatabaseGauges(Ledger ledger) {
        this.ledger = ledger;
        this.clock = InstantSource.system();
        this.usageBacklog = ledger.backlog();
    }

    void refresh() {
        try {
            UsageBacklog.Snapshot s = usageBacklog.snapshot();
            backlog = new Backlog(s.pendingEvents(), s.unwrittenBatches(), s.oldestPending().toMillis() / 1000.0);
        } catch (RuntimeException e) {
            backlog = Backlog.UNKNOWN;
            LOG.debug("backlog metrics unavailable: {}", e.toString());
        }
        try {
            jobStats = ledger.jobStorage().getJobStats();
        } catch (RuntimeException e) {
            jobStats = null;
            LOG.debug("JobRunr metrics unavailable: {}", e.toString());
        }
        try {
            refreshes = ledger.pricing().refreshOutcomes();
            lastGoodRefreshSeconds = ledger.pricing().recentRefreshes(20).stream()
                    .filter(r -> r.outcome().isSuccess())
                    .findFirst()
                    .map(DatabaseGauges::finished)
                    .map(at -> Duration.between(at, clock.instant()).toMillis() / 1000.0)
                    .orElse(Double.NaN);
        } catch (RuntimeException e) {
            refreshes = Map.of();
            lastGoodRefreshSeconds = Double.NaN;
            LOG.debug("pricing metrics unavailable: {}", e.toString());
        }
        try {
            deadLettersUnresolved = ledger.deadLetters().unresolvedCount();
        } catch (RuntimeException e) {
            deadLettersUnresolved = Double.NaN;
            LOG.debug("dead letter metrics unavailable: {}", e.toString());
        }
        try {
            lateDuplicates = countLateDuplicates();
        } catch (SQLException | RuntimeException e) {
            // A counter keeps its last value: NaN in the middle of a counter would break rate().
            LOG.debug("late duplicate metrics unavailable: {}", e.toString());
        }
    }

    /** Rows of usage_duplicate: rare (an event_id re-sent after the idempotency window), so counting them is cheap. */
    private long countLateDuplicates() throws SQLException {
        try (Connection c = ledger.postgres().dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM usage_duplicate")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    Backlog backlog() {
        return backlog;
    }

    double jobs(String state) {
        JobStats s = jobStats;
        if (s == null) {
            return Double.NaN;
        }
        Long n = switch (state) {
            case "awaiting" -> s.getAwaiting();
            case "scheduled" -> s.getScheduled();
            case "enqueued" -> s.getEnqueued();
            case "processing" -> s.getProcessing();
            case "succeeded" -> s.getSucceeded();
            case "failed" -> s.getFailed();
            case "deleted" -> s.getDeleted();
            default -> throw new IllegalArgumentException("unknown JobRunr state " + state);
        };
        return n == null ? 0 : n;
    }

    double refreshes(RefreshOutcome outcome) {
        Long n = refreshes.get(outcome);
        return n == null ? Double.NaN : n;
    }

    double lastGoodRefreshSeconds() {
        return lastGoodRefreshSeconds;
    }

    double deadLettersUnresolved() {
        return deadLettersUnresolved;
    }

    double lateDuplicates() {
        return lateDuplicates;
    }

    private static Instant finished(RefreshResult r) {
        return r.finishedAt() != null ? r.finishedAt() : r.startedAt();
    }
}
