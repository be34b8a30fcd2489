package dev.tokenledger.pricing;

/** The feed as a whole cannot be used: not JSON, truncated, or not an object of models. */
final class FeedFormatException extends Exception {
    FeedFormatException(String message) {
        super(message);
    }

    FeedFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
