package dev.tokenledger.orchestrator;

import dev.tokenledger.pricing.RefreshOutcome;
import dev.tokenledger.pricing.RefreshResult;
import dev.tokenledger.usage.UsageBacklog;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Readiness, check by check: PostgreSQL, ClickHouse, JobRunr's server, the sealer, FAILED usage_write jobs, unresolved
 * dead letters, the oldest unwritten event, and the age of the price book. Each check is named in the result.
 */
public final class HealthChecks {
    static final Duration BACKLOG_DEGRADED = Duration.ofMinutes(5);
    static final Duration PRICE_BOOK_DEGRADED = Duration.ofHours(50);

    public enum Status { UP, DEGRADED, DOWN }

    public record Check(String name, Status status, String detail) {
    }

    public record Health(Status status, List<Check> checks) {
        static Health of(List<Check> checks) {
            Status worst = Status.UP;
            for (Check c : checks) {
                if (c.status().ordinal() > worst.ordinal()) {
                    worst = c.status();
                }
            }
            return new Health(worst, List.copyOf(checks));
        }
    }

    private final Ledger ledger;
    private final UsageBacklog backlog;
    private final InstantSource clock;

    public HealthChecks(Ledger ledger, InstantSource clock) {
        this.ledger = ledger;
        this.backlog = ledger.backlog();
        this.clock = clock;
    }

    public Health check() {
        List<Check> checks = new ArrayList<>();
        boolean postgresUp = run(checks, "postgres", () -> {
            try (Connection c = ledger.postgres().dataSource().getConnection()) {
                return c.isValid(2) ? ok("reachable") : down("connection not valid");
            }
        });
        run(checks, "clickhouse", () -> {
            ledger.clickHouse().query("SELECT 1 AS ok");
            return ok(ledger.clickHouse().backend().name().toLowerCase() + " " + ledger.clickHouse().database());
        });
        checks.add(ledger.jobServer()
                .map(s -> s.isRunning() ? new Check("jobrunr_server", Status.UP, "running")
                        : new Check("jobrunr_server", Status.DOWN, "stopped (the watchdog restarts it when PostgreSQL answers)"))
                .orElse(new Check("jobrunr_server", Status.UP, "not run by this process")));
        // Informational: one writer process seals at a time, the others stand by until it stops (SealerLease).
        checks.add(new Check("sealer", Status.UP, ledger.writer()
                .map(w -> w.sealing() ? "sealing in this process" : "standing by (another process seals)")
                .orElse("not run by this process")));
        if (postgresUp) {
            run(checks, "failed_usage_writes", () -> {
                long failed = ledger.failedWrites().count();
                return failed == 0 ? ok("none") : degraded(failed + " FAILED usage_write job(s): run requeue-failed");
            });
            run(checks, "dead_letters", () -> {
                long unresolved = ledger.deadLetters().unresolvedCount();
                return unresolved == 0 ? ok("none unresolved") : degraded(unresolved
                        + " dead letter(s) wait for replay or discard: ./tokenledger dead-letters list");
            });
            run(checks, "oldest_unwritten_event", () -> {
                UsageBacklog.Snapshot s = backlog.snapshot();
                String detail = s.pendingEvents() + " event(s) pending, oldest " + s.oldestPending().toSeconds() + " s";
                return s.oldestPending().compareTo(BACKLOG_DEGRADED) > 0 ? degraded(detail) : ok(detail);
            });
            run(checks, "price_book_age", () -> {
                Optional<RefreshResult> last = ledger.pricing().recentRefreshes(20).stream()
                        .filter(r -> r.outcome() == RefreshOutcome.APPLIED || r.outcome() == RefreshOutcome.UNCHANGED
                                || r.outcome() == RefreshOutcome.NOT_MODIFIED)
                        .findFirst();
                if (last.isEmpty()) {
                    return degraded("no successful pricing refresh yet");
                }
                Instant at = last.get().finishedAt() != null ? last.get().finishedAt() : last.get().startedAt();
                Duration age = Duration.between(at, clock.instant());
                String detail = "last good refresh " + age.toHours() + " h ago (" + last.get().source() + ")";
                return age.compareTo(PRICE_BOOK_DEGRADED) > 0 ? degraded(detail) : ok(detail);
            });
        }
        return Health.of(checks);
    }

    private interface Probe {
        Check run() throws Exception;
    }

    private static boolean run(List<Check> checks, String name, Probe probe) {
        Check c;
        try {
            Check r = probe.run();
            c = new Check(name, r.status(), r.detail());
        } catch (Exception e) {
            c = new Check(name, Status.DOWN, e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()));
        }
        checks.add(c);
        return c.status() != Status.DOWN;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static Check ok(String detail) {
        return new Check("", Status.UP, detail);
    }

    private static Check degraded(String detail) {
        return new Check("", Status.DEGRADED, detail);
    }

    private static Check down(String detail) {
        return new Check("", Status.DOWN, detail);
    }
}
