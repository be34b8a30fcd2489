package dev.tokenledger.pricing;

import java.math.BigDecimal;
import java.util.Map;

/**
 * A price book row as the snapshot needs it: times in epoch millis, {@code Long.MIN_VALUE} for
 * {@code -infinity}, {@code Long.MAX_VALUE} for an open window. Overrides use the same shape.
 */
record BookRow(Long id, String modelKey, String provider, long validFrom, long validTo,
               Map<String, BigDecimal> costs) {

    boolean validAt(long t) {
        return validFrom <= t && t < validTo;
    }
}
