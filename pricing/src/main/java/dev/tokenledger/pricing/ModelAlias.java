package dev.tokenledger.pricing;

import java.time.Instant;

/**
 * An admin's alias: for {@code [validFrom, validTo)} a call recorded as {@code alias} (ignoring case) is priced as
 * {@code modelKey}, when the price book lists no model of that name itself.
 *
 * @param validTo null while open
 */
public record ModelAlias(long id, String alias, String modelKey, Instant validFrom, Instant validTo, String note,
                         String createdBy, Instant createdAt) {
}
