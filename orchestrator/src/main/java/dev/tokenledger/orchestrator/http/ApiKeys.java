package dev.tokenledger.orchestrator.http;

import dev.tokenledger.orchestrator.ConfigException;
import dev.tokenledger.orchestrator.LedgerConfig;
import io.javalin.http.Context;
import io.javalin.http.Header;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/**
 * The API keys the service accepts, in {@code Authorization: Bearer <key>} or {@code X-Api-Key}, or from
 * a browser as the password of {@code Authorization: Basic} (the usage page at {@code /ui}).
 *
 * <p>Only SHA-256 hashes are kept, and a presented key is compared with every one of them with
 * {@link MessageDigest#isEqual} (constant time, no early exit), so neither a key's length nor the
 * position of its first wrong character shows in the response time. Keys are never logged.
 *
 * <p>With no keys configured the API is open, which is allowed only when the operator declared the
 * machine local-only ({@code TOKENLEDGER_LOCAL_ONLY=true}); configured keys are always required.
 */
final class ApiKeys {
    static final String HEADER = "X-Api-Key";
    private static final String BEARER = "Bearer ";
    private static final String BASIC = "Basic ";

    private final List<byte[]> hashes;

    private ApiKeys(List<byte[]> hashes) {
        this.hashes = hashes;
    }

    /** Throws {@link ConfigException} when there are no keys and the machine is not declared local-only. */
    static ApiKeys of(LedgerConfig.Http http) {
        if (http.apiKeys().isEmpty() && !http.localOnly()) {
            throw new ConfigException("TOKENLEDGER_API_KEYS is not set: the HTTP API will not start without API"
                    + " keys unless TOKENLEDGER_LOCAL_ONLY=true says this machine is local-only");
        }
        return new ApiKeys(http.apiKeys().stream().map(ApiKeys::sha256).toList());
    }

    /** True when no key is needed (none configured, local-only). */
    boolean open() {
        return hashes.isEmpty();
    }

    /** Lets the request through, or ends it with 401. */
    void authenticate(Context ctx) {
        if (open()) {
            return;
        }
        String presented = presentedKey(ctx);
        if (presented == null) {
            throw unauthorized("an API key is required: send 'Authorization: Bearer <key>' or '" + HEADER + ": <key>'");
        }
        byte[] hash = sha256(presented);
        boolean match = false;
        for (byte[] known : hashes) {
            match |= MessageDigest.isEqual(known, hash);
        }
        if (!match) {
            throw unauthorized("the API key is not valid");
        }
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

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
