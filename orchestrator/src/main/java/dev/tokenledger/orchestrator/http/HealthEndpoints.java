package dev.tokenledger.orchestrator.http;

import dev.tokenledger.orchestrator.HealthChecks;
import io.javalin.http.Context;
import java.util.Map;

/** {@code /healthz}: the process serves. {@code /readyz}: every check of {@link HealthChecks}, by name. */
final class HealthEndpoints {
    private final HealthChecks checks;

    HealthEndpoints(HealthChecks checks) {
        this.checks = checks;
    }

    void live(Context ctx) {
        ctx.json(Map.of("status", "UP"));
    }

    /** 200 only when UP: a DEGRADED service (say, FAILED usage_write jobs) should be looked at, so 503. */
    void ready(Context ctx) {
        HealthChecks.Health health = checks.check();
        ctx.status(health.status() == HealthChecks.Status.UP ? 200 : 503).json(health);
    }
}
