package dev.tokenledger.pricing;

/**
 * An admin's alias as the snapshot needs it: {@code alias} (matched ignoring case) is priced as {@code targetKey}
 * in {@code [validFrom, validTo)}, epoch millis ({@code Long.MAX_VALUE}: open).
 */
record AliasRow(long id, String alias, String targetKey, long validFrom, long validTo) {

    boolean validAt(long t) {
        return validFrom <= t && t < validTo;
    }
}
