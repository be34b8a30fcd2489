package dev.tokenledger.usage;

import java.time.LocalDate;
import java.util.List;
import java.util.Objects;

/**
 * What a reprice run covers and why.
 *
 * @param from            first day (UTC), by event time
 * @param to              last day (UTC), included
 * @param models          models to re-price, each matched against the name the event was recorded with and the
 *                        price-book key it was priced with; empty: every model
 * @param includeUnpriced also every event that is unpriced now, whatever its model (a model added to the book)
 * @param workspace       one workspace, or null for all
 * @param reason          why (kept with the run and every adjustment's run)
 * @param requestedBy     who asked ({@code cli:<user>}, {@code pricing_refresh}, ...)
 */
public record RepriceRequest(LocalDate from, LocalDate to, List<String> models, boolean includeUnpriced,
                             String workspace, String reason, String requestedBy) {
    public RepriceRequest {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        models = List.copyOf(models);
        if (to.isBefore(from)) {
            throw new IllegalArgumentException("--to (" + to + ") is before --from (" + from + ")");
        }
        if (reason == null || reason.isBlank()) {
            reason = "no reason given";
        }
        if (workspace != null && workspace.isBlank()) {
            workspace = null;
        }
        Objects.requireNonNull(requestedBy, "requestedBy");
    }

    /** Whether the filter narrows the events beyond the range. */
    boolean filtered() {
        return !models.isEmpty() || workspace != null;
    }
}
