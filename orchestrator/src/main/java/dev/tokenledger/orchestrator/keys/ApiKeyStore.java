package dev.tokenledger.orchestrator.keys;

import static dev.tokenledger.postgres.schema.Tables.API_KEY;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.InstantSource;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * The API keys kept in PostgreSQL ({@code api_key}): created with a secret shown once, listed, revoked (the row
 * stays). Only the SHA-256 of a key is stored. A key reads {@code tl_<key_id>_<secret>}: the key id (12 hex digits)
 * finds the row without searching, the secret is 32 random bytes (base64url).
 */
public final class ApiKeyStore {
    static final String PREFIX = "tl_";
    private static final int ID_BYTES = 6;
    private static final int SECRET_BYTES = 32;

    private final DSLContext db;
    private final InstantSource clock;
    private final SecureRandom random = new SecureRandom();

    public ApiKeyStore(DataSource dataSource, InstantSource clock) {
        this.db = DSL.using(dataSource, SQLDialect.POSTGRES);
        this.clock = clock;
    }

    /** A key as listed: never its secret. {@code workspaces} empty: every workspace. */
    public record KeyInfo(String keyId, String name, Set<Scope> scopes, Set<String> workspaces, Instant createdAt,
                          String createdBy, Instant revokedAt, String revokedBy, Instant lastUsedAt) {
        public boolean revoked() {
            return revokedAt != null;
        }

        Principal principal() {
            return new Principal(name, scopes, workspaces);
        }
    }

    /** A new key: {@code secret} is the whole key, to be shown once and never again. */
    public record CreatedKey(String secret, KeyInfo info) {
        @Override
        public String toString() {
            return "CreatedKey[" + info.keyId() + "]"; // never the secret, not even in a log line by mistake
        }
    }

    /** A live key as the ring holds it. */
    record LiveKey(String keyId, byte[] sha256, Principal principal) {
    }

    /**
     * Creates a key. {@code workspaces} empty: every workspace.
     *
     * @throws IllegalArgumentException a bad name, no scope, or a live key of that name exists
     */
    public CreatedKey create(String name, Set<Scope> scopes, Set<String> workspaces, String createdBy) {
        String n = name == null ? "" : name.strip();
        if (n.isEmpty() || n.length() > 100) {
            throw new IllegalArgumentException("--name must be 1 to 100 characters, got '" + n + "'");
        }
        if (scopes.isEmpty()) {
            throw new IllegalArgumentException("--scope is required: usage:write, reports:read or admin");
        }
        for (String w : workspaces) {
            if (w == null || w.isBlank() || w.length() > 256) {
                throw new IllegalArgumentException("--workspace must be 1 to 256 characters, got '" + w + "'");
            }
        }
        if (find(n).isPresent()) {
            throw new IllegalArgumentException("a live key named '" + n + "' exists; revoke it or choose another name");
        }
        byte[] idBytes = new byte[ID_BYTES];
        byte[] secretBytes = new byte[SECRET_BYTES];
        random.nextBytes(idBytes);
        random.nextBytes(secretBytes);
        String keyId = HexFormat.of().formatHex(idBytes);
        String secret = PREFIX + keyId + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
        Instant now = clock.instant();
        db.insertInto(API_KEY)
                .set(API_KEY.KEY_ID, keyId)
                .set(API_KEY.NAME, n)
                .set(API_KEY.KEY_SHA256, sha256(secret))
                .set(API_KEY.SCOPES, scopes.stream().map(s -> s.wireName).sorted().toArray(String[]::new))
                .set(API_KEY.WORKSPACES, workspaces.isEmpty() ? null
                        : new TreeSet<>(workspaces).toArray(String[]::new))
                .set(API_KEY.CREATED_AT, now.atOffset(ZoneOffset.UTC))
                .set(API_KEY.CREATED_BY, createdBy)
                .execute();
        return new CreatedKey(secret, find(n).orElseThrow());
    }

    /** Every key, live first, newest first. */
    public List<KeyInfo> list(boolean withRevoked) {
        return db.selectFrom(API_KEY)
                .where(withRevoked ? DSL.trueCondition() : API_KEY.REVOKED_AT.isNull())
                .orderBy(API_KEY.REVOKED_AT.isNull().desc(), API_KEY.CREATED_AT.desc())
                .fetch(ApiKeyStore::info);
    }

    /** The live key of that name, or with that key id. */
    public Optional<KeyInfo> find(String nameOrId) {
        return db.selectFrom(API_KEY)
                .where(API_KEY.REVOKED_AT.isNull())
                .and(API_KEY.NAME.eq(nameOrId).or(API_KEY.KEY_ID.eq(nameOrId)))
                .fetchOptional(ApiKeyStore::info);
    }

    /** Revokes the live key of that name or key id; every process refuses it within a second. */
    public Optional<KeyInfo> revoke(String nameOrId, String revokedBy) {
        Optional<KeyInfo> key = find(nameOrId);
        key.ifPresent(k -> db.update(API_KEY)
                .set(API_KEY.REVOKED_AT, clock.instant().atOffset(ZoneOffset.UTC))
                .set(API_KEY.REVOKED_BY, revokedBy)
                .where(API_KEY.KEY_ID.eq(k.keyId()).and(API_KEY.REVOKED_AT.isNull()))
                .execute());
        return key.flatMap(k -> db.selectFrom(API_KEY).where(API_KEY.KEY_ID.eq(k.keyId()))
                .fetchOptional(ApiKeyStore::info));
    }

    /** The live keys with their hashes, for the ring. */
    List<LiveKey> live() {
        return db.select(API_KEY.KEY_ID, API_KEY.KEY_SHA256, API_KEY.NAME, API_KEY.SCOPES, API_KEY.WORKSPACES)
                .from(API_KEY).where(API_KEY.REVOKED_AT.isNull())
                .fetch(r -> new LiveKey(r.value1(), r.value2(), new Principal(r.value3(), scopes(r.value4()),
                        workspaces(r.value5()))));
    }

    /** Records when keys were last used (a batch, a few seconds late at most; never moves a time back). */
    void touched(Map<String, Instant> lastUsed) {
        if (lastUsed.isEmpty()) {
            return;
        }
        db.batch(lastUsed.entrySet().stream().map(e -> db.update(API_KEY)
                .set(API_KEY.LAST_USED_AT, DSL.greatest(DSL.coalesce(API_KEY.LAST_USED_AT,
                        DSL.val(e.getValue().atOffset(ZoneOffset.UTC))), DSL.val(e.getValue().atOffset(ZoneOffset.UTC))))
                .where(API_KEY.KEY_ID.eq(e.getKey()))).toList()).execute();
    }

    /** The key id a presented key names, if it has the shape of a stored key. */
    static Optional<String> keyIdOf(String presented) {
        if (!presented.startsWith(PREFIX) || presented.length() < PREFIX.length() + ID_BYTES * 2 + 2) {
            return Optional.empty();
        }
        int end = PREFIX.length() + ID_BYTES * 2;
        return presented.charAt(end) == '_' ? Optional.of(presented.substring(PREFIX.length(), end)) : Optional.empty();
    }

    static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static KeyInfo info(Record r) {
        return new KeyInfo(r.get(API_KEY.KEY_ID), r.get(API_KEY.NAME), scopes(r.get(API_KEY.SCOPES)),
                workspaces(r.get(API_KEY.WORKSPACES)), instant(r.get(API_KEY.CREATED_AT)), r.get(API_KEY.CREATED_BY),
                instant(r.get(API_KEY.REVOKED_AT)), r.get(API_KEY.REVOKED_BY), instant(r.get(API_KEY.LAST_USED_AT)));
    }

    private static Set<Scope> scopes(String[] names) {
        Set<Scope> scopes = new LinkedHashSet<>();
        Arrays.stream(names).map(Scope::parse).forEach(scopes::add);
        return scopes;
    }

    private static Set<String> workspaces(String[] names) {
        return names == null ? Set.of() : Set.of(names);
    }

    private static Instant instant(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }

    static boolean sameHash(byte[] a, byte[] b) {
        return MessageDigest.isEqual(Objects.requireNonNull(a), Objects.requireNonNull(b));
    }
}
