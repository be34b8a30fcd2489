package dev.tokenledger.orchestrator.http;

import dev.tokenledger.orchestrator.keys.Scope;
import io.javalin.security.RouteRole;

/** Who may call a route: every route names one (a test checks it), and with it the scope its API key needs. */
enum Access implements RouteRole {
    /** Anyone: liveness probes must not need credentials. */
    OPEN(null),
    /** Any valid key, whatever its scopes (readiness, the API's description, the usage page's metadata). */
    ANY_KEY(null),
    USAGE_WRITE(Scope.USAGE_WRITE),
    REPORTS_READ(Scope.REPORTS_READ),
    ADMIN(Scope.ADMIN);

    /** The scope the key needs; null for none. */
    final Scope scope;

    Access(Scope scope) {
        this.scope = scope;
    }
}
