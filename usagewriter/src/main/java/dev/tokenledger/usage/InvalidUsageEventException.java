package dev.tokenledger.usage;

import java.util.List;
import java.util.stream.Collectors;

/** A usage event that cannot be recorded, with every field error found (not just the first). */
public final class InvalidUsageEventException extends IllegalArgumentException {
    private final transient List<FieldError> errors;

    public InvalidUsageEventException(List<FieldError> errors) {
        super("invalid usage event: " + errors.stream().map(FieldError::toString).collect(Collectors.joining("; ")));
        this.errors = List.copyOf(errors);
    }

    public List<FieldError> errors() {
        return errors;
    }
}
