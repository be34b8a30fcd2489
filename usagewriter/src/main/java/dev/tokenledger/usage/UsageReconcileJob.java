package dev.tokenledger.usage;

import static dev.tokenledger.postgres.schema.Tables.USAGE_BATCH;
import static dev.tokenledger.postgres.schema.Tables.USAGE_RECONCILE_STATE;
import static dev.tokenledger.postgres.schema.Tables.USAGE_REPRICE_CHUNK;

import java.time.Duration;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.jobrunr.jobs.lambdas.JobRequestHandler;
import org.jobrunr.scheduling.JobRequestScheduler;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recurring {@code usage_reconcile} job: reconciles every month that batches touched since its last run (and
 * every month it left dirty), and rebuilds a rollup month that disagrees with llm_usage ({@link RollupRepair}),
 * so the ledger repairs itself without anyone typing a command. Differences it cannot repair (llm_usage against
 * PostgreSQL) stay in its log, in usage_rollup_repair and in {@code ./tokenledger reconcile}.
 *
 * <p>Safe to run in several workers at once: each repair holds its month's exclusive lock ({@link RollupRepair}).
 */
public final class UsageReconcileJob implements JobRequestHandler<UsageReconcileRequest> {
    public static final String RECURRING_JOB_ID = "usage_reconcile";
    private static final Logger LOG = LoggerFactory.getLogger(UsageReconcileJob.class);

    private final DSLContext db;
    private final Reconciler reconciler;
    private final RollupRepair repair;
    private final InstantSource clock;

    UsageReconcileJob(DataSource dataSource, Reconciler reconciler, RollupRepair repair, InstantSource clock) {
        this.db = DSL.using(dataSource, SQLDialect.POSTGRES);
        this.reconciler = reconciler;
        this.repair = repair;
        this.clock = clock;
    }

    /** What one run found and did. */
    public record Run(List<Integer> monthsChecked, List<RollupRepair.Outcome> repairs, List<Integer> stillDirty) {
    }

    @Override
    public void run(UsageReconcileRequest request) {
        Run run = runOnce();
        if (!run.repairs().isEmpty() || !run.stillDirty().isEmpty()) {
            LOG.info("usage_reconcile checked months {}: {} repair(s), still to look at again: {}", run.monthsChecked(),
                    run.repairs().size(), run.stillDirty());
        }
    }

    /** Checks the months touched since the last run and repairs what it can; one run at a time per database. */
    public Run runOnce() {
        java.time.OffsetDateTime started = clock.instant().atOffset(ZoneOffset.UTC);
        Record state = db.selectFrom(USAGE_RECONCILE_STATE).fetchSingle();
        long checkedThrough = state.get(USAGE_RECONCILE_STATE.CHECKED_THROUGH);
        Integer[] dirty = state.get(USAGE_RECONCILE_STATE.DIRTY_MONTHS);
        Long maxBatch = db.select(DSL.max(USAGE_BATCH.BATCH_ID)).from(USAGE_BATCH).fetchOne(0, Long.class);
        Long firstUnwritten = db.select(DSL.min(USAGE_BATCH.BATCH_ID)).from(USAGE_BATCH)
                .where(USAGE_BATCH.WRITTEN_AT.isNull()).fetchOne(0, Long.class);

        TreeSet<Integer> months = new TreeSet<>(Arrays.asList(dirty));
        db.select(USAGE_BATCH.MIN_EVENT_TIME, USAGE_BATCH.MAX_EVENT_TIME).from(USAGE_BATCH)
                .where(USAGE_BATCH.BATCH_ID.gt(checkedThrough))
                .forEach(r -> months.addAll(monthsBetween(utcDay(r.value1()), utcDay(r.value2()))));
        // Months that reprice runs appended adjustments to since the last run (their view feeds the rollups too).
        var lastRun = state.get(USAGE_RECONCILE_STATE.LAST_RUN_AT);
        db.selectDistinct(USAGE_REPRICE_CHUNK.MONTH).from(USAGE_REPRICE_CHUNK)
                .where(USAGE_REPRICE_CHUNK.DONE_AT.isNotNull())
                .and(lastRun == null ? DSL.trueCondition() : USAGE_REPRICE_CHUNK.DONE_AT.ge(lastRun))
                .forEach(r -> months.add(r.value1()));

        List<RollupRepair.Outcome> repairs = new ArrayList<>();
        List<Integer> stillDirty = new ArrayList<>();
        for (int month : months) {
            ReconcileReport report = reconciler.reconcileMonth(month);
            boolean dirtyNow = !report.differences().isEmpty() || report.pending() > 0;
            if (!report.rollupDifferences().isEmpty()) {
                RollupRepair.Outcome outcome = repair.repairMonth(month, RECURRING_JOB_ID);
                repairs.add(outcome);
                dirtyNow = !outcome.after().isEmpty();
            }
            if (dirtyNow) {
                stillDirty.add(month);
            }
        }
        long newCheckedThrough = maxBatch == null ? checkedThrough
                : firstUnwritten == null ? maxBatch : Math.max(checkedThrough, firstUnwritten - 1);
        db.update(USAGE_RECONCILE_STATE)
                .set(USAGE_RECONCILE_STATE.CHECKED_THROUGH, newCheckedThrough)
                .set(USAGE_RECONCILE_STATE.DIRTY_MONTHS, stillDirty.toArray(Integer[]::new))
                .set(USAGE_RECONCILE_STATE.LAST_RUN_AT, started) // a day recorded while this ran is seen next time
                .execute();
        return new Run(List.copyOf(months), repairs, stillDirty);
    }

    private static LocalDate utcDay(java.time.OffsetDateTime t) {
        return t.atZoneSameInstant(ZoneOffset.UTC).toLocalDate();
    }

    static List<Integer> monthsBetween(LocalDate from, LocalDate to) {
        List<Integer> out = new ArrayList<>();
        for (LocalDate m = from.withDayOfMonth(1); !m.isAfter(to); m = m.plusMonths(1)) {
            out.add(m.getYear() * 100 + m.getMonthValue());
        }
        return out;
    }

    /** Registers (or updates) the recurring job. */
    public void scheduleEvery(JobRequestScheduler scheduler, Duration interval) {
        scheduler.scheduleRecurrently(RECURRING_JOB_ID, interval, new UsageReconcileRequest());
    }
}
