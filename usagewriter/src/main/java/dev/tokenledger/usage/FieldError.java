package dev.tokenledger.usage;

/**
 * One problem with one field of a usage event: which field, and what is wrong with its value.
 *
 * @param field   the field's name as it appears in the API ({@code prompt_tokens}, {@code event_id}, ...)
 * @param problem what is wrong, naming the bound that was crossed
 */
public record FieldError(String field, String problem) {
    @Override
    public String toString() {
        return field + ": " + problem;
    }
}
