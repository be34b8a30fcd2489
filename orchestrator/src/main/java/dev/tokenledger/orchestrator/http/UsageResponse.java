package dev.tokenledger.orchestrator.http;

import dev.tokenledger.usage.FieldError;
import dev.tokenledger.usage.RecordResult;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The answer to {@code POST /v1/usage}: one result per event, in the order sent, and the counts.
 *
 * @param results {@code index} is the event's position in the request (0 for a single object)
 */
record UsageResponse(int accepted, int duplicate, int rejected, List<Result> results) {

    record Result(int index, UUID eventId, String status, List<FieldError> errors) {
        static Result of(int index, RecordResult r) {
            return new Result(index, r.eventId(), r.status().name().toLowerCase(Locale.ROOT), r.errors());
        }
    }

    static UsageResponse of(List<RecordResult> results) {
        int accepted = 0;
        int duplicate = 0;
        int rejected = 0;
        List<Result> out = new java.util.ArrayList<>(results.size());
        for (int i = 0; i < results.size(); i++) {
            RecordResult r = results.get(i);
            switch (r.status()) {
                case ACCEPTED -> accepted++;
                case DUPLICATE -> duplicate++;
                case REJECTED -> rejected++;
            }
            out.add(Result.of(i, r));
        }
        return new UsageResponse(accepted, duplicate, rejected, out);
    }

    /**
     * 202 when every event is durable (new or a duplicate of one that is); 207 when some were rejected
     * and the rest are durable; 400 when none could be recorded.
     */
    int status() {
        if (rejected == 0) {
            return 202;
        }
        return accepted + duplicate > 0 ? 207 : 400;
    }
}
