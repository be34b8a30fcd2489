package dev.tokenledger.usage;

import java.util.List;
import java.util.UUID;

/**
 * What happened to one event handed to the recorder.
 *
 * @param eventId the event's id (null only when the event could not even be parsed)
 * @param status  ACCEPTED: durable now; DUPLICATE: that id was recorded before, nothing changed;
 *                REJECTED: not recorded, see errors
 * @param errors  why it was rejected; empty otherwise
 */
public record RecordResult(UUID eventId, Status status, List<FieldError> errors) {
    public enum Status {
        ACCEPTED, DUPLICATE, REJECTED
    }

    public RecordResult {
        errors = List.copyOf(errors);
    }

    static RecordResult accepted(UUID id) {
        return new RecordResult(id, Status.ACCEPTED, List.of());
    }

    static RecordResult duplicate(UUID id) {
        return new RecordResult(id, Status.DUPLICATE, List.of());
    }

    /** Refused: the id belongs to an event that was erased (usage_erased_event); re-sending it never records it again. */
    static RecordResult erased(UUID id) {
        return new RecordResult(id, Status.REJECTED, List.of(new FieldError("event_id", "belongs to an event that was"
                + " erased (./tokenledger erase): a re-send of it is refused, a new event of the user needs a new id")));
    }

    public static RecordResult rejected(UUID id, List<FieldError> errors) {
        return new RecordResult(id, Status.REJECTED, errors);
    }
}
