package dev.tokenledger.orchestrator.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenledger.orchestrator.JsonConventions;

/** The API's JSON mapper: {@link JsonConventions}, which the CLI's {@code --json} shares. */
final class ApiJson {
    static final ObjectMapper MAPPER = JsonConventions.mapper();

    private ApiJson() {
    }
}
