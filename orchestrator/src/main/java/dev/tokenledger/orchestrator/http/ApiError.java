package dev.tokenledger.orchestrator.http;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The body of every error response.
 *
 * @param error     what went wrong, in words
 * @param parameter the query or path parameter at fault, when there is one
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record ApiError(String error, String parameter) {
    static ApiError of(String error) {
        return new ApiError(error, null);
    }
}
