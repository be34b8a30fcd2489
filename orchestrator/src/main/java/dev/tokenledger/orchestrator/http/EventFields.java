package dev.tokenledger.orchestrator.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import dev.tokenledger.usage.FieldError;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Reads typed fields out of one JSON object, collecting a {@link FieldError} per field that has the
 * wrong type or format instead of stopping at the first. A field that is absent or {@code null} reads
 * as "not given".
 */
final class EventFields {
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final JsonNode object;
    private final List<FieldError> errors = new ArrayList<>();

    EventFields(JsonNode object) {
        this.object = object;
    }

    List<FieldError> errors() {
        return errors;
    }

    String text(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            return wrongType(field, "a string", v);
        }
        return v.textValue();
    }

    UUID uuid(String field) {
        String s = text(field);
        if (s == null) {
            return null;
        }
        if (!UUID_TEXT.matcher(s).matches()) {
            return error(field, "must be a UUID (8-4-4-4-12 hex digits), got '" + abbreviate(s) + "'");
        }
        return UUID.fromString(s);
    }

    Instant instant(String field) {
        String s = text(field);
        if (s == null) {
            return null;
        }
        try {
            // ISO_INSTANT takes 'Z' or a numeric offset; a time without either is refused, never guessed.
            return DateTimeFormatter.ISO_INSTANT.parse(s, Instant::from);
        } catch (DateTimeParseException e) {
            return error(field, "must be an ISO-8601 instant with an offset, such as 2026-03-01T12:00:00.250Z, got '"
                    + abbreviate(s) + "'");
        }
    }

    Long whole(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber()) {
            return v.isNumber() ? error(field, "must be a whole number, got " + abbreviate(v.asText()))
                    : wrongType(field, "a whole number", v);
        }
        if (!v.canConvertToLong()) {
            return error(field, "is too large, got " + abbreviate(v.asText()));
        }
        return v.longValue();
    }

    /**
     * A decimal number: a JSON number or a decimal string ({@code 12.5} or {@code "12.5"}, the way money is sent), read
     * exactly; its range and places are the event's to check.
     */
    BigDecimal decimal(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return null;
        }
        if (v.isNumber()) {
            return v.decimalValue();
        }
        if (v.isTextual()) {
            try {
                return new BigDecimal(v.textValue().strip());
            } catch (NumberFormatException e) {
                return error(field, "must be a decimal number, got '" + abbreviate(v.textValue()) + "'");
            }
        }
        return wrongType(field, "a decimal number", v);
    }

    Integer smallWhole(String field) {
        Long v = whole(field);
        if (v == null) {
            return null;
        }
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            return error(field, "must be at most " + Integer.MAX_VALUE + ", got " + v);
        }
        return v.intValue();
    }

    boolean failed(String field) {
        return errors.stream().anyMatch(e -> e.field().equals(field));
    }

    void error(FieldError e) {
        errors.add(e);
    }

    private JsonNode value(String field) {
        JsonNode v = object.get(field);
        return v == null || v.isNull() ? null : v;
    }

    private <T> T wrongType(String field, String expected, JsonNode got) {
        return error(field, "must be " + expected + ", got " + describe(got));
    }

    private <T> T error(String field, String problem) {
        errors.add(new FieldError(field, problem));
        return null;
    }

    static String describe(JsonNode node) {
        JsonNodeType type = node.getNodeType();
        return switch (type) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            default -> type.name().toLowerCase(Locale.ROOT);
        };
    }

    /** The UUID {@code s} spells (8-4-4-4-12 hex digits, as the body's ids must), or null. */
    static UUID parseUuid(String s) {
        return s != null && UUID_TEXT.matcher(s).matches() ? UUID.fromString(s) : null;
    }

    static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}
