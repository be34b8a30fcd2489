package dev.tokenledger.orchestrator.keys;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys a running API accepts: the admin keys of {@code TOKENLEDGER_API_KEYS} and the live keys of
 * {@code api_key}, read again from PostgreSQL every {@value #REFRESH_MILLIS} ms, so a key created or revoked in any
 * process counts here within a second. Presented keys are hashed (SHA-256) and compared in constant time
 * ({@link java.security.MessageDigest#isEqual}); a secret is never logged. If PostgreSQL does not answer, the keys
 * last read stay in force until it does. Thread-safe.
 */
public final class KeyRing implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeyRing.class);
    static final long REFRESH_MILLIS = 250;
    private static final Duration LAST_USED_FLUSH = Duration.ofSeconds(5);

    private final List<byte[]> adminHashes;
    private final ApiKeyStore store;
    private final InstantSource clock;
    private final ScheduledExecutorService timer;
    private final Map<String, Instant> lastUsed = new ConcurrentHashMap<>();
    private volatile Map<String, ApiKeyStore.LiveKey> live;
    private volatile boolean refreshFailing;

    /**
     * @param adminKeys the keys of {@code TOKENLEDGER_API_KEYS}: every scope, every workspace
     * @param store     the stored keys; read once now (a PostgreSQL that does not answer fails the start)
     */
    public KeyRing(List<String> adminKeys, ApiKeyStore store, InstantSource clock) {
        this.adminHashes = adminKeys.stream().map(ApiKeyStore::sha256).toList();
        this.store = store;
        this.clock = clock;
        this.live = index(store.live());
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("api-key-ring").daemon(true)
                .factory());
        timer.scheduleWithFixedDelay(this::refresh, REFRESH_MILLIS, REFRESH_MILLIS, TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::flushLastUsed, LAST_USED_FLUSH.toMillis(), LAST_USED_FLUSH.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** True when there is no key at all (none configured, none stored): an open API, allowed only local-only. */
    public boolean empty() {
        return adminHashes.isEmpty() && live.isEmpty();
    }

    /** Who {@code presented} is, or empty when it is no key this service accepts. */
    public Optional<Principal> authenticate(String presented) {
        byte[] hash = ApiKeyStore.sha256(presented);
        Optional<String> keyId = ApiKeyStore.keyIdOf(presented);
        if (keyId.isPresent()) {
            ApiKeyStore.LiveKey key = live.get(keyId.get());
            if (key != null && ApiKeyStore.sameHash(key.sha256(), hash)) {
                lastUsed.put(key.keyId(), clock.instant());
                return Optional.of(key.principal());
            }
        }
        boolean admin = false;
        for (byte[] known : adminHashes) {
            admin |= ApiKeyStore.sameHash(known, hash); // every hash compared: no early exit
        }
        return admin ? Optional.of(new Principal("TOKENLEDGER_API_KEYS", Set.of(Scope.ADMIN), Set.of()))
                : Optional.empty();
    }

    private void refresh() {
        try {
            live = index(store.live());
            if (refreshFailing) {
                LOG.info("API keys: PostgreSQL answers again; keys re-read");
                refreshFailing = false;
            }
        } catch (RuntimeException e) {
            if (!refreshFailing) {
                LOG.warn("API keys: could not re-read api_key ({}); the keys read last stay in force", e.toString());
                refreshFailing = true;
            }
        }
    }

    private void flushLastUsed() {
        Map<String, Instant> batch = new HashMap<>();
        for (String id : lastUsed.keySet()) {
            Instant at = lastUsed.remove(id);
            if (at != null) {
                batch.put(id, at);
            }
        }
        try {
            store.touched(batch);
        } catch (RuntimeException e) {
            batch.forEach(lastUsed::putIfAbsent); // next time
        }
    }

    private static Map<String, ApiKeyStore.LiveKey> index(List<ApiKeyStore.LiveKey> keys) {
        Map<String, ApiKeyStore.LiveKey> byId = new HashMap<>();
        keys.forEach(k -> byId.put(k.keyId(), k));
        return Map.copyOf(byId);
    }

    /** Stops re-reading, after writing the last-used times it holds. */
    @Override
    public void close() {
        timer.shutdownNow();
        flushLastUsed();
    }
}
