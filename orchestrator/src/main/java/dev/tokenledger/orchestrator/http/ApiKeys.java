package dev.tokenledger.orchestrator.http;

import dev.tokenledger.orchestrator.ConfigException;
import dev.tokenledger.orchestrator.LedgerConfig;
import dev.tokenledger.orchestrator.keys.KeyRing;
import dev.tokenledger.orchestrator.keys.Principal;
import dev.tokenledger.orchestrator.keys.Scope;
import io.javalin.http.Context;
import io.javalin.http.Header;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * Reads the API key a request presents, in {@code Authorization: Bearer <key>} or {@code X-Api-Key}, or from a
 * browser as the password of {@code Authorization: Basic} (the usage page at {@code /ui}), and asks the
 * {@link KeyRing} who it is. Keys are never logged.
 *
 * <p>With no key at all (none in {@code TOKENLEDGER_API_KEYS}, none stored) the API is open, which is allowed only
 * when the operator declared the machine local-only ({@code TOKENLEDGER_LOCAL_ONLY=true}); once a key exists, keys
 * are required.
 */
final class ApiKeys {
    static final String HEADER = "X-Api-Key";
    /** The context attribute the request's {@link Principal} is kept in. */
    private static final String PRINCIPAL = "tokenledger.principal";
    private static final String BEARER = "Bearer ";
    private static final String BASIC = "Basic ";

    private final KeyRing ring;
    private final boolean localOnly;

    private ApiKeys(KeyRing ring, boolean localOnly) {
        this.ring = ring;
        this.localOnly = localOnly;
    }

    /** Throws {@link ConfigException} when there is no key at all and the machine is not declared local-only. */
    static ApiKeys of(LedgerConfig.Http http, KeyRing ring) {
        HttpApi.requireCredentials(http, !ring.empty());
        return new ApiKeys(ring, http.localOnly());
    }

    /** True when no key is needed (none configured or stored, local-only). */
    boolean open() {
        return localOnly && ring.empty();
    }

    /** Who the request is; ends it with 401 when it presents no valid key. */
    Principal authenticate(Context ctx) {
        if (open()) {
            return Principal.OPEN;
        }
        String presented = presentedKey(ctx);
        if (presented == null) {
            throw unauthorized("an API key is required: send 'Authorization: Bearer <key>' or '" + HEADER + ": <key>'");
        }
        return ring.authenticate(presented).orElseThrow(() -> unauthorized("the API key is not valid"));
    }

    /** Lets the request through when its key has the scope the route needs (ends it with 401 or 403). */
    void admit(Context ctx, Scope needed) {
        Principal principal = authenticate(ctx);
        if (needed != null && !principal.may(needed)) {
            throw new ApiException(403, ApiError.of("this API key ('" + principal.keyName() + "') lacks the scope '"
                    + needed.wireName + "' that " + ctx.method() + " " + ctx.endpoints().matchedHttpEndpoint().path
                    + " needs"));
        }
        ctx.attribute(PRINCIPAL, principal);
    }

    /** The admitted request's principal. */
    static Principal principal(Context ctx) {
        Principal p = ctx.attribute(PRINCIPAL);
        if (p == null) {
            throw new IllegalStateException("no principal: the route was not admitted");
        }
        return p;
    }

    /** 403 when the request's key may not touch {@code workspace}. */
    static void requireWorkspace(Context ctx, String workspace, String verb) {
        Principal p = principal(ctx);
        if (!p.mayTouch(workspace)) {
            throw forbiddenWorkspace(p, workspace, verb);
        }
    }

    /** Why {@code principal} may not write an event of {@code workspace}, or empty when it may. */
    static java.util.Optional<String> writeRefusal(Principal principal, String workspace) {
        return principal.mayTouch(workspace) ? java.util.Optional.empty() : java.util.Optional.of(MAY_NOT_WRITE + " '"
                + EventFields.abbreviate(workspace) + "' (key '" + principal.keyName() + "')");
    }

    /** How every refusal of an event for a workspace begins (a body refused whole for it is a 403). */
    static final String MAY_NOT_WRITE = "this API key may not write workspace";

    static ApiException forbiddenWorkspace(Principal p, String workspace, String verb) {
        return new ApiException(403, ApiError.of("this API key ('" + p.keyName() + "') may not " + verb
                + " workspace '" + EventFields.abbreviate(workspace) + "'"));
    }

    private static String presentedKey(Context ctx) {
        String header = ctx.header(HEADER);
        if (header != null && !header.isBlank()) {
            return header.strip();
        }
        String authorization = ctx.header(Header.AUTHORIZATION);
        if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            String key = authorization.substring(BEARER.length()).strip();
            return key.isEmpty() ? null : key;
        }
        if (authorization != null && authorization.regionMatches(true, 0, BASIC, 0, BASIC.length())) {
            // Browsers (the /ui page) can only send Basic: any user name, the API key as the password.
            try {
                String pair = new String(Base64.getDecoder().decode(authorization.substring(BASIC.length()).strip()),
                        StandardCharsets.UTF_8);
                int colon = pair.indexOf(':');
                String key = colon < 0 ? "" : pair.substring(colon + 1);
                return key.isEmpty() ? null : key;
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    private static ApiException unauthorized(String message) {
        return new ApiException(401, ApiError.of(message));
    }
}
