package dev.tokenledger.pricing;

import static dev.tokenledger.postgres.schema.Tables.PRICING_VERSION;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.jooq.TransactionalCallable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The current {@link PriceSnapshot}, swapped atomically (one volatile write) after a refresh or an override
 * change made by this process. Changes made by other processes are noticed by polling
 * {@code pricing_version} (one row, bumped by triggers on every write to the price tables) every
 * {@link PricingSettings#cacheCheckInterval()}; a snapshot is rebuilt only when the version moved.
 */
final class SnapshotCache implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotCache.class);

    private final DSLContext db;
    private final ScheduledExecutorService poller;
    private volatile PriceSnapshot current;

    SnapshotCache(DSLContext db, Duration checkInterval) {
        this.db = db;
        this.current = load();
        if (checkInterval.isZero()) {
            this.poller = null;
        } else {
            this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "pricing-cache-check");
                t.setDaemon(true);
                return t;
            });
            long millis = checkInterval.toMillis();
            poller.scheduleWithFixedDelay(this::checkQuietly, millis, millis, TimeUnit.MILLISECONDS);
        }
    }

    PriceSnapshot current() {
        return current;
    }

    /** Reloads when the book, the overrides or the aliases changed since the current snapshot; returns whether it did. */
    boolean reloadIfChanged() {
        long version = db.select(PRICING_VERSION.VERSION).from(PRICING_VERSION).fetchOne(PRICING_VERSION.VERSION);
        if (version == current.version()) {
            return false;
        }
        reload();
        return true;
    }

    /** Rebuilds the snapshot from the database now. */
    synchronized void reload() {
        PriceSnapshot fresh = load();
        if (fresh.version() != current.version()) {
            current = fresh;
        }
    }

    /** Reads the version and every row in one repeatable-read snapshot, so they agree. */
    private PriceSnapshot load() {
        long started = System.nanoTime();
        PriceSnapshot snapshot = db.transactionResult((TransactionalCallable<PriceSnapshot>) cfg -> {
            DSLContext tx = cfg.dsl();
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
            long version = tx.select(PRICING_VERSION.VERSION).from(PRICING_VERSION)
                    .fetchOne(PRICING_VERSION.VERSION);
            List<BookRow> book = PriceBook.all(tx);
            List<BookRow> overrides = Overrides.rows(tx);
            return PriceSnapshot.build(version, book, overrides, Aliases.rows(tx));
        });
        LOG.debug("pricing snapshot version {} loaded: {} models in {} ms", snapshot.version(),
                snapshot.modelCount(), (System.nanoTime() - started) / 1_000_000);
        return snapshot;
    }

    private void checkQuietly() {
        try {
            if (reloadIfChanged()) {
                LOG.info("pricing snapshot reloaded: version {}, {} models", current.version(),
                        current.modelCount());
            }
        } catch (RuntimeException e) {
            LOG.warn("pricing cache check failed; keeping snapshot version {}", current.version(), e);
        }
    }

    @Override
    public void close() {
        if (poller != null) {
            poller.shutdownNow();
        }
    }
}
