package dev.tokenledger.orchestrator.http;

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

    static ApiException tooLarge(String message) {
        return new ApiException(413, ApiError.of(message));
    }
}
