package dev.tokenledger.orchestrator.http;

import io.javalin.security.RouteRole;

/** Who may call a route. Routes without a role need an API key (unless the API runs open, local-only). */
enum Access implements RouteRole {
    /** Anyone: liveness probes must not need credentials. */
    OPEN
}
