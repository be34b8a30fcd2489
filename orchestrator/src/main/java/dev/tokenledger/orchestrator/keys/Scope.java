package dev.tokenledger.orchestrator.keys;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What an API key may do. {@link #ADMIN} may do everything. */
public enum Scope {
    /** Record usage: {@code POST /v1/usage}, {@code POST /v1/traces}. */
    USAGE_WRITE("usage:write"),
    /** Read reports, event costs and the usage page ({@code /v1/reports/*}, {@code /v1/usage/{id}}, {@code /ui}). */
    REPORTS_READ("reports:read"),
    /** Everything, and the service's own state ({@code /metrics}). */
    ADMIN("admin");

    public final String wireName;

    Scope(String wireName) {
        this.wireName = wireName;
    }

    public static Scope parse(String s) {
        for (Scope scope : values()) {
            if (scope.wireName.equals(s.strip().toLowerCase(Locale.ROOT))) {
                return scope;
            }
        }
        throw new IllegalArgumentException("scope must be one of " + Arrays.stream(values()).map(v -> v.wireName)
                .collect(Collectors.joining(", ")) + "; got '" + s + "'");
    }
}
