package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Row;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.time.InstantSource;
import javax.sql.DataSource;
import org.jobrunr.scheduling.JobRequestScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Budgets as they stand: every budget's spend in its current period, held in memory and refreshed in the background
 * every {@link BudgetSettings#refreshInterval()} (only the scopes of existing budgets are read), so that
 * {@link #check} answers from memory in microseconds and an orchestrator can ask before every LLM call.
 *
 * <p><b>Spend</b> is the current cost (usage plus reprice corrections) from the {@code llm_usage_daily} rollup
 * ({@code sum() ... GROUP BY} over the period's whole UTC days); where a period in another time zone starts or ends
 * inside a UTC day, those partial days are read from {@code llm_usage} plus {@code llm_usage_adjustment}, so the
 * figure is exact in every zone. Unpriced calls are counted beside it, never as $0 silently.
 *
 * <p><b>Alerts.</b> Each threshold a budget's spend reaches fires once per period: the refresh that first sees it
 * inserts {@code (budget, period start, threshold)} into {@code budget_alert} ON CONFLICT DO NOTHING, and the row is
 * delivered by a {@code budget_alert} JobRunr job whose id is derived from that key (so two processes, or a restart
 * between the insert and the enqueue, queue it once). See {@link BudgetAlertJob}.
 *
 * <p>Thread-safe: {@link #check} and {@link #statuses} read an immutable snapshot; refreshes are serialized.
 */
public final class Budgets implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Budgets.class);
    private static final int RATIO_SCALE = 6;
    /** Budgets whose spend is read in one ClickHouse query (one round trip; ClickHouse runs the parts in parallel). */
    private static final int BUDGETS_PER_QUERY = 50;

    /** One budget in its current period, as of {@code asOf}. */
    public record Status(Budget budget, Instant periodStart, Instant resetsAt, BigDecimal spendUsd,
                         BigDecimal remainingUsd, long unpricedEvents, BigDecimal ratio, boolean over, Instant asOf) {
        /** A hard budget at or over its limit: calls in its scope should stop. */
        public boolean stops() {
            return budget.hard() && over;
        }
    }

    /**
     * The answer to "may this call go ahead?": {@code allowed} unless a hard budget covering the call is at or over its
     * limit. {@code budgets} are every budget covering the call, the tightest (least remaining) first.
     */
    public record Check(boolean allowed, List<Status> budgets) {
        public Optional<Status> tightest() {
            return budgets.stream().findFirst();
        }
    }

    private record View(Map<String, List<Status>> byWorkspace, List<Status> all) {
        static final View EMPTY = new View(Map.of(), List.of());
    }

    private final BudgetStore store;
    private final DataSource dataSource;
    private final ClickHouse clickHouse;
    private final JobRequestScheduler jobs;
    private final BudgetSettings settings;
    private final InstantSource clock;
    private final BurnDownReader burnDowns;
    private final Set<String> firedHere = new HashSet<>();
    private final AtomicLong refreshes = new AtomicLong();
    private volatile View view = View.EMPTY;
    private volatile Instant lastRefresh;
    private volatile long lastRefreshNanos;
    private ScheduledExecutorService refresher;

    /** {@code jobs} null: alerts are recorded but not delivered (a process without JobRunr). */
    public Budgets(DataSource dataSource, ClickHouse clickHouse, JobRequestScheduler jobs, BudgetSettings settings,
                   InstantSource clock) {
        this.store = new BudgetStore(dataSource);
        this.dataSource = dataSource;
        this.clickHouse = clickHouse;
        this.jobs = jobs;
        this.settings = settings;
        this.clock = clock;
        this.burnDowns = new BurnDownReader(clickHouse);
    }

    /** The definitions in PostgreSQL (set, list, delete); a running refresher sees a change at its next refresh. */
    public BudgetStore store() {
        return store;
    }

    /** Starts refreshing in the background; idempotent. */
    public synchronized Budgets start() {
        if (refresher == null) {
            refresher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "tokenledger-budgets");
                t.setDaemon(true);
                return t;
            });
            long every = settings.refreshInterval().toMillis();
            refresher.scheduleWithFixedDelay(this::refreshQuietly, 0, every, TimeUnit.MILLISECONDS);
        }
        return this;
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (RuntimeException e) {
            LOG.warn("budget refresh failed (checks answer from the last good refresh, {}): {}", lastRefresh,
                    e.toString());
        }
    }

    /**
     * May a call by {@code user} (or {@code agent}, on {@code model}) in {@code workspace} go ahead? From memory: no
     * database is asked. {@code user}, {@code agent} and {@code model} may be null (then budgets narrowed to them are
     * not considered).
     */
    public Check check(String workspace, String user, String agent, String model) {
        List<Status> inWorkspace = view.byWorkspace.get(workspace);
        if (inWorkspace == null) {
            return new Check(true, List.of());
        }
        Instant now = clock.instant();
        List<Status> covering = new ArrayList<>(inWorkspace.size());
        boolean allowed = true;
        for (Status s : inWorkspace) {
            if (s.budget.covers(workspace, user, agent, model)) {
                Status current = now.isBefore(s.resetsAt) ? s : reset(s, now);
                covering.add(current);
                allowed &= !current.stops();
            }
        }
        return new Check(allowed, covering);
    }

    /** A status whose period ended since the last refresh: the next period, nothing seen in it yet. */
    private static Status reset(Status s, Instant now) {
        Budget.Window w = s.budget.window(now);
        return status(s.budget, w, BigDecimal.ZERO, 0, s.asOf);
    }

    /** Every budget's status as of the last refresh, by name. */
    public List<Status> statuses() {
        return view.all;
    }

    /** One budget's status as of the last refresh. */
    public Optional<Status> status(String name) {
        return view.all.stream().filter(s -> s.budget.name().equals(name)).findFirst();
    }

    /**
     * {@code budget}'s status read from ClickHouse now, without touching the in-memory view or firing alerts (the
     * CLI's {@code budget show --spend}).
     */
    public Status current(Budget budget) {
        Instant now = clock.instant();
        Budget.Window w = budget.window(now);
        Row spent = spend(budget, w);
        return status(budget, w, spent.decimal("cost"), spent.int64("unpriced"), now);
    }

    /**
     * {@code budget}'s burn-down in the period {@code at} falls in (now: the current period), read from ClickHouse now:
     * spend at each step so far and the forecast to the period's end.
     */
    public BurnDown burnDown(Budget budget, Instant at) {
        return burnDowns.read(budget, at, clock.instant());
    }

    /** When the last refresh completed (null: none yet). */
    public Instant lastRefresh() {
        return lastRefresh;
    }

    /** How long the last refresh took (every budget's spend read, alerts fired): part of a check's lag. */
    public java.time.Duration lastRefreshTook() {
        return java.time.Duration.ofNanos(lastRefreshNanos);
    }

    /** Refreshes completed since this object was made. */
    public long refreshes() {
        return refreshes.get();
    }

    /**
     * Re-reads the budgets and their spend now, fires the alerts their spend reached and queues the deliveries still
     * to queue. The background refresher calls it; tests and the CLI may too.
     */
    public synchronized void refresh() {
        long started = System.nanoTime();
        Instant now = clock.instant();
        List<Budget> defined = store.list();
        List<Budget.Window> windows = defined.stream().map(b -> b.window(now)).toList();
        List<Row> spent = spends(defined, windows);
        List<Status> all = new ArrayList<>(defined.size());
        for (int i = 0; i < defined.size(); i++) {
            all.add(status(defined.get(i), windows.get(i), spent.get(i).decimal("cost"), spent.get(i).int64("unpriced"),
                    now));
        }
        Map<String, List<Status>> byWorkspace = new HashMap<>();
        for (Status s : all) {
            byWorkspace.computeIfAbsent(s.budget.workspace(), k -> new ArrayList<>()).add(s);
        }
        byWorkspace.values().forEach(l -> l.sort((a, b) -> a.remainingUsd.compareTo(b.remainingUsd)));
        byWorkspace.replaceAll((k, v) -> List.copyOf(v));
        view = new View(Map.copyOf(byWorkspace), List.copyOf(all));
        lastRefresh = now;
        fire(all);
        queuePending();
        lastRefreshNanos = System.nanoTime() - started;
        refreshes.incrementAndGet();
    }

    private static Status status(Budget b, Budget.Window w, BigDecimal spent, long unpriced, Instant asOf) {
        BigDecimal spend = spent.setScale(UsageRows.COST_SCALE, RoundingMode.UNNECESSARY); // as ClickHouse's Decimal(38, 12)
        BigDecimal remaining = b.limitUsd().subtract(spend).max(BigDecimal.ZERO).setScale(UsageRows.COST_SCALE);
        BigDecimal ratio = spend.divide(b.limitUsd(), RATIO_SCALE, RoundingMode.HALF_EVEN);
        return new Status(b, w.start(), w.end(), spend, remaining, unpriced, ratio,
                spend.compareTo(b.limitUsd()) >= 0, asOf);
    }

    private Row spend(Budget b, Budget.Window w) {
        return spends(List.of(b), List.of(w)).getFirst();
    }

    /** Each budget's spend in its window, in order, {@value #BUDGETS_PER_QUERY} budgets per query. */
    private List<Row> spends(List<Budget> budgets, List<Budget.Window> windows) {
        Row[] out = new Row[budgets.size()];
        for (int from = 0; from < budgets.size(); from += BUDGETS_PER_QUERY) {
            int to = Math.min(budgets.size(), from + BUDGETS_PER_QUERY);
            Map<String, String> params = new HashMap<>();
            List<String> each = new ArrayList<>();
            for (int i = from; i < to; i++) {
                each.add(spendSql(budgets.get(i), windows.get(i), i, params));
            }
            String sql = "SELECT idx, toDecimal128(cost, 12) AS cost, toInt64(unpriced) AS unpriced FROM ("
                    + String.join(" UNION ALL ", each) + ")";
            for (Row r : clickHouse.query(sql, params)) {
                out[(int) r.int64("idx")] = r;
            }
        }
        for (int i = 0; i < out.length; i++) {
            if (out[i] == null) {
                throw new IllegalStateException("ClickHouse gave no spend for budget '" + budgets.get(i).name() + "'");
            }
        }
        return List.of(out);
    }

    /** One budget's spend as one row {@code (idx, cost, unpriced)}; its parameters are suffixed with {@code i}. */
    private static String spendSql(Budget b, Budget.Window w, int i, Map<String, String> params) {
        String n = "_" + i;
        String scope = scopeSql(b, n, params);
        // Whole UTC days inside the period come from the rollup; partial days at either end from the raw tables.
        LocalDate firstDay = LocalDate.ofInstant(w.start(), ZoneOffset.UTC);
        if (!firstDay.atStartOfDay(ZoneOffset.UTC).toInstant().equals(w.start())) {
            firstDay = firstDay.plusDays(1);
        }
        LocalDate endDay = LocalDate.ofInstant(w.end(), ZoneOffset.UTC);
        List<String> parts = new ArrayList<>();
        List<String> raw = new ArrayList<>();
        if (firstDay.isBefore(endDay)) {
            params.put("d0" + n, firstDay.toString());
            params.put("d1" + n, endDay.toString());
            parts.add("SELECT toDecimal128(sum(cost_usd), 12) AS cost, toInt64(sum(unpriced_events)) AS unpriced"
                    + " FROM llm_usage_daily WHERE day >= {d0" + n + ":Date} AND day < {d1" + n + ":Date} AND "
                    + scope);
            Instant rollupStart = firstDay.atStartOfDay(ZoneOffset.UTC).toInstant();
            Instant rollupEnd = endDay.atStartOfDay(ZoneOffset.UTC).toInstant();
            rawRange(raw, params, "a" + n, w.start(), rollupStart);
            rawRange(raw, params, "b" + n, rollupEnd, w.end());
        } else {
            rawRange(raw, params, "a" + n, w.start(), w.end());
        }
        if (!raw.isEmpty()) {
            String when = "(" + String.join(" OR ", raw) + ") AND " + scope;
            parts.add("SELECT toDecimal128(ifNull(sum(cost_usd), 0), 12) AS cost,"
                    + " toInt64(countIf(cost_status = 'unpriced')) AS unpriced FROM llm_usage WHERE " + when);
            parts.add("SELECT toDecimal128(sum(cost_usd), 12) AS cost, toInt64(sum(unpriced_delta)) AS unpriced"
                    + " FROM llm_usage_adjustment WHERE " + when);
        }
        return "SELECT toUInt32(" + i + ") AS idx, toDecimal128(sum(cost), 12) AS cost, toInt64(sum(unpriced)) AS"
                + " unpriced FROM (" + String.join(" UNION ALL ", parts) + ")";
    }

    /** The condition that selects {@code b}'s scope (workspace, and its user, agent or model family), parameters suffixed with {@code n}. */
    static String scopeSql(Budget b, String n, Map<String, String> params) {
        StringBuilder scope = new StringBuilder("workspace_id = {ws" + n + ":String}");
        params.put("ws" + n, b.workspace());
        if (b.user() != null) {
            scope.append(" AND user_id = {user" + n + ":String}");
            params.put("user" + n, b.user());
        }
        if (b.agent() != null) {
            scope.append(" AND agent_id = {agent" + n + ":String}");
            params.put("agent" + n, b.agent());
        }
        if (b.modelPrefix() != null) {
            scope.append(" AND startsWith(model, {prefix" + n + ":String})");
            params.put("prefix" + n, b.modelPrefix());
        }
        return scope.toString();
    }

    /** Adds the condition {@code from <= event_time < to} (when the range is not empty), parameters named {@code name0/1}. */
    static void rawRange(List<String> raw, Map<String, String> params, String name, Instant from, Instant to) {
        if (from.isBefore(to)) {
            params.put(name + "0", Long.toString(from.toEpochMilli()));
            params.put(name + "1", Long.toString(to.toEpochMilli()));
            raw.add("(event_time >= fromUnixTimestamp64Milli({" + name + "0:Int64}, 'UTC') AND event_time <"
                    + " fromUnixTimestamp64Milli({" + name + "1:Int64}, 'UTC'))");
        }
    }

    /** The job id a fired alert is delivered by: the same in every process, so it is queued once. */
    static UUID jobId(String budget, Instant periodStart, BigDecimal threshold) {
        return UUID.nameUUIDFromBytes(("budget_alert|" + budget + "|" + periodStart + "|"
                + Budget.plain(threshold).toPlainString()).getBytes(StandardCharsets.UTF_8));
    }

    private void fire(List<Status> all) {
        Set<String> current = new HashSet<>();
        for (Status s : all) {
            for (BigDecimal t : s.budget.thresholds()) {
                String key = s.budget.name() + "|" + s.periodStart + "|" + t.toPlainString();
                current.add(key);
                if (firedHere.contains(key) || s.spendUsd.compareTo(s.budget.amountAt(t)) < 0) {
                    continue;
                }
                if (insertAlert(s, t)) {
                    LOG.info("budget '{}' reached {}% of {} USD ({} USD spent, {} unpriced calls) in the period from {}",
                            s.budget.name(), t.movePointRight(2).stripTrailingZeros().toPlainString(),
                            s.budget.limitUsd().toPlainString(), s.spendUsd.toPlainString(), s.unpricedEvents,
                            s.periodStart);
                }
                firedHere.add(key);
            }
        }
        firedHere.retainAll(current);
    }

    private boolean insertAlert(Status s, BigDecimal threshold) {
        String sql = "INSERT INTO budget_alert (budget_name, period_start, threshold, spend_usd, limit_usd,"
                + " unpriced_events, job_id) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, s.budget.name());
            ps.setTimestamp(2, Timestamp.from(s.periodStart));
            ps.setBigDecimal(3, threshold);
            ps.setBigDecimal(4, s.spendUsd);
            ps.setBigDecimal(5, s.budget.limitUsd());
            ps.setLong(6, s.unpricedEvents);
            ps.setObject(7, jobId(s.budget.name(), s.periodStart, threshold));
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new IllegalStateException("could not record a budget alert: " + e.getMessage(), e);
        }
    }

    /** Queues the delivery of alerts fired but not queued yet (this process's, or one that stopped in between). */
    private void queuePending() {
        if (jobs == null) {
            return;
        }
        List<BudgetAlertRequest> pending = new ArrayList<>();
        List<UUID> ids = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT budget_name, period_start, threshold, job_id FROM budget_alert WHERE enqueued_at IS NULL")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    pending.add(new BudgetAlertRequest(rs.getString(1), rs.getTimestamp(2).toInstant().toString(),
                            Budget.plain(rs.getBigDecimal(3)).toPlainString()));
                    ids.add(rs.getObject(4, UUID.class));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not read budget alerts to queue: " + e.getMessage(), e);
        }
        for (int i = 0; i < pending.size(); i++) {
            jobs.enqueue(ids.get(i), pending.get(i)); // an id queued already is left as it is
            try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                    "UPDATE budget_alert SET enqueued_at = now() WHERE job_id = ? AND enqueued_at IS NULL")) {
                ps.setObject(1, ids.get(i));
                ps.executeUpdate();
            } catch (SQLException e) {
                throw new IllegalStateException("could not mark a budget alert queued: " + e.getMessage(), e);
            }
        }
    }

    /** The ratio to print: {@code 0.8} as {@code 80%}. */
    public static String percent(BigDecimal ratio) {
        return ratio.movePointRight(2).round(new MathContext(4)).stripTrailingZeros().toPlainString() + "%";
    }

    /** Stops the background refresher. */
    @Override
    public synchronized void close() {
        if (refresher != null) {
            refresher.shutdownNow();
            try {
                refresher.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            refresher = null;
        }
    }

}
