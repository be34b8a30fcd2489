package dev.tokenledger.usage;

import static dev.tokenledger.postgres.schema.Tables.BUDGET;

import dev.tokenledger.postgres.schema.tables.records.BudgetRecord;
import java.math.BigDecimal;
import java.net.URI;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/** The budgets kept in PostgreSQL ({@code budget}): set (insert or replace by name), list, find, delete. Thread-safe. */
public final class BudgetStore {
    private final DSLContext db;

    public BudgetStore(DataSource dataSource) {
        this.db = DSL.using(dataSource, SQLDialect.POSTGRES);
    }

    /** Inserts the budget, or replaces the one of that name; answers whether it was new. */
    public boolean put(Budget b) {
        BudgetRecord r = db.newRecord(BUDGET);
        r.setName(b.name());
        r.setWorkspaceId(b.workspace());
        r.setUserId(b.user());
        r.setAgentId(b.agent());
        r.setModelPrefix(b.modelPrefix());
        r.setPeriod(b.period().label());
        r.setTimeZone(b.zone().getId());
        r.setLimitUsd(b.limitUsd());
        r.setThresholds(b.thresholds().toArray(BigDecimal[]::new));
        r.setHard(b.hard());
        r.setWebhookUrl(b.webhookUrl() == null ? null : b.webhookUrl().toString());
        // xmax = 0 only on a row this statement inserted (PostgreSQL's way to tell an insert from an update).
        return db.insertInto(BUDGET).set(r)
                .onConflict(BUDGET.NAME).doUpdate()
                .set(BUDGET.WORKSPACE_ID, DSL.excluded(BUDGET.WORKSPACE_ID))
                .set(BUDGET.USER_ID, DSL.excluded(BUDGET.USER_ID))
                .set(BUDGET.AGENT_ID, DSL.excluded(BUDGET.AGENT_ID))
                .set(BUDGET.MODEL_PREFIX, DSL.excluded(BUDGET.MODEL_PREFIX))
                .set(BUDGET.PERIOD, DSL.excluded(BUDGET.PERIOD))
                .set(BUDGET.TIME_ZONE, DSL.excluded(BUDGET.TIME_ZONE))
                .set(BUDGET.LIMIT_USD, DSL.excluded(BUDGET.LIMIT_USD))
                .set(BUDGET.THRESHOLDS, DSL.excluded(BUDGET.THRESHOLDS))
                .set(BUDGET.HARD, DSL.excluded(BUDGET.HARD))
                .set(BUDGET.WEBHOOK_URL, DSL.excluded(BUDGET.WEBHOOK_URL))
                .set(BUDGET.UPDATED_AT, DSL.currentOffsetDateTime())
                .returningResult(DSL.field("xmax = 0", Boolean.class))
                .fetchSingle().value1();
    }

    public List<Budget> list() {
        return db.selectFrom(BUDGET).orderBy(BUDGET.NAME).fetch(BudgetStore::budget);
    }

    public Optional<Budget> find(String name) {
        return db.selectFrom(BUDGET).where(BUDGET.NAME.eq(name)).fetchOptional(BudgetStore::budget);
    }

    /** Deletes the budget (its fired alerts stay, as history); answers whether one was there. */
    public boolean delete(String name) {
        return db.deleteFrom(BUDGET).where(BUDGET.NAME.eq(name)).execute() > 0;
    }

    private static Budget budget(BudgetRecord r) {
        return new Budget(r.getName(), r.getWorkspaceId(), r.getUserId(), r.getAgentId(), r.getModelPrefix(),
                Budget.Period.parse(r.getPeriod()), ZoneId.of(r.getTimeZone()), r.getLimitUsd().stripTrailingZeros(),
                List.of(r.getThresholds()), r.getHard(), r.getWebhookUrl() == null ? null : URI.create(r.getWebhookUrl()));
    }
}
