package dev.tokenledger.usage;

/** A budget definition refused; {@link #field()} names the field (as the HTTP API and CLI spell it). */
public final class InvalidBudgetException extends IllegalArgumentException {
    private final String field;

    public InvalidBudgetException(String field, String problem) {
        super(field + " " + problem);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
