package dev.tokenledger.orchestrator.http;

import io.javalin.http.Context;
import java.util.Set;

/** Ends a request with an HTTP status and an {@link ApiError} body. */
final class ApiException extends RuntimeException {
    final int status;
    final ApiError body;

    ApiException(int status, ApiError body) {
        super(body.error(), null, false, false);
        this.status = status;
        this.body = body;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, ApiError.of(message));
    }

    static ApiException badParameter(String parameter, String problem) {
        return new ApiException(400, new ApiError("parameter '" + parameter + "' " + problem, parameter));
    }

    /** Refuses a request with a query parameter outside {@code known}, naming it and the ones that are known. */
    static void requireKnownParameters(Context ctx, Set<String> known) {
        for (String name : ctx.queryParamMap().keySet()) {
            if (!known.contains(name)) {
                throw badParameter(name, "is not known; use " + String.join(", ", known.stream().sorted().toList()));
            }
        }
    }

    static ApiException tooLarge(String message) {
        return new ApiException(413, ApiError.of(message));
    }
}
