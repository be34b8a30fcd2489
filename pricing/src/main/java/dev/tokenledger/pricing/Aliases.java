package dev.tokenledger.pricing;

import static dev.tokenledger.postgres.schema.Tables.MODEL_ALIAS;

import dev.tokenledger.postgres.schema.tables.records.ModelAliasRecord;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/** {@code model_alias}: effective-dated admin aliases, never deleted. */
final class Aliases {
    private Aliases() {
    }

    /**
     * Opens an alias from {@code validFrom}, closing the alias's open window at that instant; refuses one that would
     * start at or before the start of a window already recorded for the name, so windows never overlap. Runs in
     * the caller's transaction, which holds the pricing lock.
     */
    static ModelAlias set(DSLContext tx, AliasRequest request, Instant validFrom) {
        OffsetDateTime from = Times.toOffset(validFrom);
        ModelAliasRecord latest = latest(tx, request.alias());
        EffectiveWindows.closeBefore(latest, MODEL_ALIAS.VALID_FROM, MODEL_ALIAS.VALID_TO, from,
                "an alias '" + request.alias() + "'",
                latest == null ? null : "alias " + latest.getId() + " ('" + request.alias() + "')");
        ModelAliasRecord r = tx.newRecord(MODEL_ALIAS);
        r.setAlias(request.alias());
        r.setModelKey(request.modelKey());
        r.setValidFrom(from);
        r.setNote(request.note());
        r.setCreatedBy(request.createdBy());
        r.store();
        r.refresh();
        return toAlias(r);
    }

    /** Closes the alias's open window at {@code at}; empty when it has none. */
    static Optional<ModelAlias> end(DSLContext tx, String alias, Instant at) {
        ModelAliasRecord open = tx.selectFrom(MODEL_ALIAS)
                .where(DSL.lower(MODEL_ALIAS.ALIAS).eq(alias.strip().toLowerCase(java.util.Locale.ROOT)))
                .and(MODEL_ALIAS.VALID_TO.isNull())
                .orderBy(MODEL_ALIAS.VALID_FROM.desc())
                .limit(1)
                .fetchOne();
        if (open == null) {
            return Optional.empty();
        }
        OffsetDateTime end = Times.toOffset(at);
        if (!open.getValidFrom().isBefore(end)) {
            throw new IllegalArgumentException("alias " + open.getId() + " ('" + open.getAlias() + "') starts at "
                    + open.getValidFrom().toInstant() + "; it can only end after that, got " + at);
        }
        open.setValidTo(end);
        open.update();
        return Optional.of(toAlias(open));
    }

    private static ModelAliasRecord latest(DSLContext tx, String alias) {
        return tx.selectFrom(MODEL_ALIAS)
                .where(DSL.lower(MODEL_ALIAS.ALIAS).eq(alias.toLowerCase(java.util.Locale.ROOT)))
                .orderBy(MODEL_ALIAS.VALID_FROM.desc(), MODEL_ALIAS.ID.desc())
                .limit(1)
                .fetchOne();
    }

    static List<ModelAlias> all(DSLContext db) {
        return db.selectFrom(MODEL_ALIAS)
                .orderBy(DSL.lower(MODEL_ALIAS.ALIAS), MODEL_ALIAS.VALID_FROM)
                .fetch(Aliases::toAlias);
    }

    /** Every alias as the snapshot needs it. */
    static List<AliasRow> rows(DSLContext db) {
        return all(db).stream().map(a -> new AliasRow(a.id(), a.alias(), a.modelKey(), a.validFrom().toEpochMilli(),
                a.validTo() == null ? Long.MAX_VALUE : a.validTo().toEpochMilli())).toList();
    }

    private static ModelAlias toAlias(ModelAliasRecord r) {
        return new ModelAlias(r.getId(), r.getAlias(), r.getModelKey(), Times.toInstant(r.getValidFrom()),
                Times.toInstant(r.getValidTo()), r.getNote(), r.getCreatedBy(), Times.toInstant(r.getCreatedAt()));
    }
}
