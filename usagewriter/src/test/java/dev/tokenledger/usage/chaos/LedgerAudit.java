package dev.tokenledger.usage.chaos;

import dev.tokenledger.usage.TestWiring;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.usage.ReconcileReport;
import dev.tokenledger.usage.Reconciler;
import dev.tokenledger.usage.UsageBacklog;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Compares what callers were told with what the ledger holds, event by event: PostgreSQL (durable),
 * llm_usage (raw) and llm_usage_daily (rollup), plus the Reconciler's day-by-day check. Nothing here goes
 * through the code under test's own bookkeeping except the Reconciler, which is checked against raw ids.
 */
final class LedgerAudit {
    private final DataSource postgres;
    private final ClickHouse clickHouse;

    LedgerAudit(DataSource postgres, ClickHouse clickHouse) {
        this.postgres = postgres;
        this.clickHouse = clickHouse;
    }

    /**
     * @param acknowledged  events whose record() call told the caller they are durable
     * @param durable       events in PostgreSQL's usage_event (acknowledged or not)
     * @param written       distinct events in llm_usage
     * @param rawRows       rows in llm_usage
     * @param rollupEvents  sum(events) in llm_usage_daily
     * @param lost          acknowledged events missing from llm_usage
     * @param durableUnwritten events in PostgreSQL neither in llm_usage nor dead-lettered
     * @param phantoms      events in llm_usage that PostgreSQL never accepted
     * @param duplicated    rows of llm_usage beyond the first of their event
     * @param deadLettered  events ClickHouse refused, kept in usage_dead_letter
     * @param failedJobs    usage_write jobs JobRunr gave up on
     */
    record Result(long acknowledged, long durable, long written, long rawRows, long rollupEvents, long lost,
                  long durableUnwritten, long phantoms, long duplicated, long deadLettered, long failedJobs,
                  ReconcileReport reconcile, BigDecimal rawCost, BigDecimal rollupCost, long rawTokens,
                  long rollupTokens) {

        void assertExactlyOnce() {
            assertThat(lost).as("acknowledged events missing from ClickHouse").isZero();
            assertThat(duplicated).as("events written more than once").isZero();
            assertThat(durableUnwritten).as("durable events never written").isZero();
            assertThat(phantoms).as("events in ClickHouse that PostgreSQL never accepted").isZero();
            assertThat(deadLettered).as("dead-lettered events (every chaos event is valid)").isZero();
            assertThat(written).as("distinct events written = durable events").isEqualTo(durable);
            assertThat(rawRows).isEqualTo(durable);
            assertThat(rollupEvents).as("rollup events").isEqualTo(rawRows);
            assertThat(rollupTokens).as("rollup tokens").isEqualTo(rawTokens);
            assertThat(rollupCost).as("rollup cost").isEqualByComparingTo(rawCost);
            assertThat(failedJobs).as("usage_write jobs ended FAILED").isZero();
            assertThat(reconcile.clean()).as("reconcile: %s", reconcile).isTrue();
            assertThat(reconcile.pending()).as("pending after the drain").isZero();
        }

        String summary() {
            return "acknowledged " + acknowledged + ", durable " + durable + ", written " + written + " (raw rows "
                    + rawRows + ", rollup events " + rollupEvents + "), lost " + lost + ", duplicated " + duplicated
                    + ", durable-unwritten " + durableUnwritten + ", phantoms " + phantoms + ", dead-lettered "
                    + deadLettered + ", FAILED jobs " + failedJobs + "; tokens raw " + rawTokens + " / rollup "
                    + rollupTokens + ", cost raw " + rawCost.toPlainString() + " / rollup " + rollupCost.toPlainString()
                    + "; reconcile " + (reconcile.clean() ? "clean" : "NOT CLEAN") + ", pending " + reconcile.pending();
        }
    }

    Result audit(Collection<UUID> acknowledged) {
        Set<UUID> durable = uuids("SELECT event_id FROM usage_event");
        Set<UUID> dead = uuids("SELECT event_id FROM usage_dead_letter");
        Set<UUID> inClickHouse = new HashSet<>();
        for (Row r : clickHouse.query("SELECT toString(event_id) AS id FROM llm_usage")) {
            inClickHouse.add(UUID.fromString(r.string("id")));
        }
        long raw = single("SELECT count() AS n FROM llm_usage");
        long lost = acknowledged.stream().filter(id -> !inClickHouse.contains(id) && !dead.contains(id)).count();
        long durableUnwritten = durable.stream().filter(id -> !inClickHouse.contains(id) && !dead.contains(id)).count();
        long phantoms = inClickHouse.stream().filter(id -> !durable.contains(id)).count();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        ReconcileReport report = TestWiring.reconciler(postgres, clickHouse).reconcile(today.minusDays(2), today.plusDays(1));
        return new Result(acknowledged.size(), durable.size(), inClickHouse.size(), raw,
                single("SELECT sum(events) AS n FROM llm_usage_daily"), lost, durableUnwritten, phantoms,
                raw - inClickHouse.size(), dead.size(), failedUsageWrites(), report,
                decimal("SELECT sum(ifNull(cost_usd, toDecimal128(0, 12))) AS n FROM llm_usage"),
                decimal("SELECT sum(cost_usd) AS n FROM llm_usage_daily"),
                single("SELECT sum(total_tokens) AS n FROM llm_usage"),
                single("SELECT sum(total_tokens) AS n FROM llm_usage_daily"));
    }

    /**
     * Waits until every durable event is written and reconcile is clean; returns how long that took.
     * Cheap checks first (backlog, counts), the reconcile only once they agree.
     */
    Duration awaitDrained(Duration timeout) {
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        UsageBacklog backlog = TestWiring.backlog(postgres);
        String last = "";
        while (true) {
            try {
                UsageBacklog.Snapshot s = backlog.snapshot();
                long durable = count("SELECT count(*) FROM usage_event")
                        - count("SELECT count(*) FROM usage_dead_letter");
                long distinct = single("SELECT uniqExact(event_id) AS n FROM llm_usage");
                last = "backlog " + s + ", durable " + durable + ", in ClickHouse " + distinct;
                if (s.pendingEvents() == 0 && durable == distinct) {
                    LocalDate today = LocalDate.now(ZoneOffset.UTC);
                    ReconcileReport r = TestWiring.reconciler(postgres, clickHouse).reconcile(today.minusDays(2),
                            today.plusDays(1));
                    if (r.clean() && r.pending() == 0) {
                        return Duration.ofNanos(System.nanoTime() - started);
                    }
                    last += ", reconcile " + r;
                }
            } catch (RuntimeException e) {
                last = "not answering yet: " + e;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the backlog did not drain within " + timeout + ": " + last);
            }
            Chaos.sleep(Duration.ofMillis(250));
        }
    }

    long failedUsageWrites() {
        return count("SELECT count(*) FROM jobrunr_jobs WHERE state = 'FAILED'"
                + " AND jobasjson LIKE '%dev.tokenledger.usage.UsageWriteJob%'");
    }

    private long single(String sql) {
        Row r = clickHouse.query(sql, java.util.Map.of()).getFirst();
        String v = r.values().values().iterator().next();
        return v == null ? 0 : Long.parseLong(v);
    }

    private BigDecimal decimal(String sql) {
        BigDecimal d = clickHouse.query(sql, java.util.Map.of()).getFirst().decimal("n");
        return d == null ? BigDecimal.ZERO : d;
    }

    private long count(String sql) {
        try (Connection c = postgres.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    private Set<UUID> uuids(String sql) {
        Set<UUID> out = new HashSet<>();
        try (Connection c = postgres.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getObject(1, UUID.class));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
        return out;
    }
}
