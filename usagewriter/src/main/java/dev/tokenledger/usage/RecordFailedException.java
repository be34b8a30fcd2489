package dev.tokenledger.usage;

/**
 * The events could not be made durable (PostgreSQL unreachable, or the commit did not finish within the
 * configured timeout). Nothing was promised: retry with the same event ids; a commit that did finish
 * late makes the retry a harmless duplicate.
 */
public final class RecordFailedException extends RuntimeException {
    public RecordFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
