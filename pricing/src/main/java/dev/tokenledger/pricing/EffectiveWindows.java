package dev.tokenledger.pricing;

import java.time.OffsetDateTime;
import org.jooq.TableField;
import org.jooq.UpdatableRecord;

/**
 * The one rule overrides and aliases share for opening a window: a new window starts after the start of the latest
 * one recorded for the same key (windows never overlap), and the latest one, when still open, is closed where the new
 * one starts.
 */
final class EffectiveWindows {
    private EffectiveWindows() {
    }

    /**
     * Makes room for a window from {@code from} after {@code latest} (null: none recorded yet), in the caller's
     * transaction; {@code subject} and {@code latestName} name them in a refusal ("an override for 'gpt-4o'",
     * "override 7 for 'gpt-4o'").
     */
    static <R extends UpdatableRecord<R>> void closeBefore(R latest, TableField<R, OffsetDateTime> validFrom,
                                                          TableField<R, OffsetDateTime> validTo, OffsetDateTime from,
                                                          String subject, String latestName) {
        if (latest == null) {
            return;
        }
        if (!latest.get(validFrom).isBefore(from)) {
            throw new IllegalArgumentException(subject + " already starts at " + latest.get(validFrom).toInstant()
                    + "; a new one must start after it, got " + from.toInstant());
        }
        if (latest.get(validTo) == null) {
            latest.set(validTo, from);
            latest.update();
        } else if (latest.get(validTo).isAfter(from)) {
            throw new IllegalArgumentException(latestName + " runs until " + latest.get(validTo).toInstant()
                    + "; a new one must start at or after it");
        }
    }
}
