package dev.tokenledger.orchestrator;

/** A setting is missing or invalid; the message names it and never contains a secret's value. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
