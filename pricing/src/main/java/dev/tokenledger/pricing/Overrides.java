package dev.tokenledger.pricing;

import static dev.tokenledger.postgres.schema.Tables.MODEL_PRICING_OVERRIDE;

import dev.tokenledger.postgres.schema.tables.records.ModelPricingOverrideRecord;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.JSONB;

/** {@code model_pricing_override}: effective-dated admin prices, never deleted. */
final class Overrides {
    private Overrides() {
    }

    /**
     * Opens an override from {@code validFrom}, closing the model's open override at that instant. Refuses
     * one that would start at or before the start of an override already recorded for the model, so
     * windows never overlap. Runs in the caller's transaction, which holds the pricing lock.
     */
    static PriceOverride set(DSLContext tx, OverrideRequest request, Instant validFrom) {
        OffsetDateTime from = Times.toOffset(validFrom);
        ModelPricingOverrideRecord latest = tx.selectFrom(MODEL_PRICING_OVERRIDE)
                .where(MODEL_PRICING_OVERRIDE.MODEL_KEY.eq(request.modelKey()))
                .orderBy(MODEL_PRICING_OVERRIDE.VALID_FROM.desc(), MODEL_PRICING_OVERRIDE.ID.desc())
                .limit(1)
                .fetchOne();
        EffectiveWindows.closeBefore(latest, MODEL_PRICING_OVERRIDE.VALID_FROM, MODEL_PRICING_OVERRIDE.VALID_TO, from,
                "an override for '" + request.modelKey() + "'",
                latest == null ? null : "override " + latest.getId() + " for '" + request.modelKey() + "'");
        ModelPricingOverrideRecord r = tx.newRecord(MODEL_PRICING_OVERRIDE);
        r.setModelKey(request.modelKey());
        r.setProvider(request.provider());
        r.setValidFrom(from);
        r.setCosts(JSONB.valueOf(Json.costsJson(new java.util.TreeMap<>(request.costs()))));
        r.setNote(request.note());
        r.store();
        r.refresh();
        return toOverride(r);
    }

    /** Closes the model's open override at {@code at}; empty when it has none. */
    static Optional<PriceOverride> end(DSLContext tx, String modelKey, Instant at) {
        ModelPricingOverrideRecord open = tx.selectFrom(MODEL_PRICING_OVERRIDE)
                .where(MODEL_PRICING_OVERRIDE.MODEL_KEY.eq(modelKey))
                .and(MODEL_PRICING_OVERRIDE.VALID_TO.isNull())
                .orderBy(MODEL_PRICING_OVERRIDE.VALID_FROM.desc())
                .limit(1)
                .fetchOne();
        if (open == null) {
            return Optional.empty();
        }
        OffsetDateTime end = Times.toOffset(at);
        if (!open.getValidFrom().isBefore(end)) {
            throw new IllegalArgumentException("override " + open.getId() + " for '" + modelKey + "' starts at "
                    + open.getValidFrom().toInstant() + "; it can only end after that, got " + at);
        }
        open.setValidTo(end);
        open.update();
        return Optional.of(toOverride(open));
    }

    static List<PriceOverride> all(DSLContext db) {
        return db.selectFrom(MODEL_PRICING_OVERRIDE)
                .orderBy(MODEL_PRICING_OVERRIDE.MODEL_KEY, MODEL_PRICING_OVERRIDE.VALID_FROM)
                .fetch(Overrides::toOverride);
    }

    static List<PriceOverride> of(DSLContext db, String modelKey) {
        return db.selectFrom(MODEL_PRICING_OVERRIDE)
                .where(MODEL_PRICING_OVERRIDE.MODEL_KEY.eq(modelKey))
                .orderBy(MODEL_PRICING_OVERRIDE.VALID_FROM)
                .fetch(Overrides::toOverride);
    }

    /** Every override as the snapshot needs it. */
    static List<BookRow> rows(DSLContext db) {
        List<BookRow> rows = new ArrayList<>();
        for (PriceOverride o : all(db)) {
            rows.add(new BookRow(o.id(), o.modelKey(), o.provider(), o.validFrom().toEpochMilli(),
                    o.validTo() == null ? Long.MAX_VALUE : o.validTo().toEpochMilli(), o.costs()));
        }
        return rows;
    }

    private static PriceOverride toOverride(ModelPricingOverrideRecord r) {
        return new PriceOverride(r.getId(), r.getModelKey(), r.getProvider(), Times.toInstant(r.getValidFrom()),
                Times.toInstant(r.getValidTo()), Json.readCosts(r.getCosts().data()), r.getNote(),
                Times.toInstant(r.getCreatedAt()));
    }
}
