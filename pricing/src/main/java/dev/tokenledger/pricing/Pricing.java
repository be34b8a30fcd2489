package dev.tokenledger.pricing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.jobrunr.scheduling.JobRequestScheduler;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * tokenledger's pricing, the one entry point of this module: prices usage events exactly from an
 * effective-dated LiteLLM price book kept in PostgreSQL, refreshes that book, and manages admin overrides.
 *
 * <pre>{@code
 * Pricing pricing = new Pricing(dataSource, PricingSettings.defaults(), Clock.systemUTC());
 * pricing.applyBundledSnapshotIfEmpty();          // first start: no network needed
 * pricing.refreshIfStale(Duration.ofDays(1));     // catch up on a run missed while down
 * pricing.scheduleRecurringRefresh(jobRequestScheduler);
 * PricedCost cost = pricing.priceEvent("gpt-4o", "openai", eventTimeMillis, TokenUsage.of(1200, 300));
 * }</pre>
 *
 * <p>Pricing reads an in-memory snapshot: {@link #priceEvent} never touches the database. See
 * {@link TokenUsage} for the token convention, {@link CostCalculator} for the rounding rule,
 * {@link MatchKind} for name resolution and {@link RateCard} for tiers and fallbacks.
 */
public final class Pricing implements AutoCloseable {
    private final DSLContext db;
    private final PricingSettings settings;
    private final InstantSource clock;
    private final Refresher refresher;
    private final SnapshotCache cache;
    private final List<Consumer<PriceChange>> changeListeners = new CopyOnWriteArrayList<>();

    /**
     * Loads the snapshot from the database (which must be migrated) and, unless
     * {@link PricingSettings#cacheCheckInterval()} is zero, starts checking for changes made elsewhere.
     */
    public Pricing(DataSource dataSource, PricingSettings settings, InstantSource clock) {
        Objects.requireNonNull(dataSource, "dataSource");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.db = DSL.using(dataSource, SQLDialect.POSTGRES);
        this.refresher = new Refresher(db, settings, clock);
        this.cache = new SnapshotCache(db, settings.cacheCheckInterval());
    }

    public PricingSettings settings() {
        return settings;
    }

    /**
     * Prices one event with the price valid at {@code eventTimeMillis} (epoch millis) for {@code model}
     * (resolved as {@link MatchKind} describes; {@code provider} may be null). An unknown model is
     * {@link CostStatus#UNPRICED} with a null cost, never zero.
     */
    public PricedCost priceEvent(String model, String provider, long eventTimeMillis, TokenUsage usage) {
        Objects.requireNonNull(usage, "usage");
        return CostCalculator.price(cache.current(), model, provider, eventTimeMillis, usage);
    }

    /**
     * A what-if price for the CLI: against the book (overrides included) at {@code at} (default now), or,
     * with {@link CostQuery#feed()}, against that LiteLLM file alone, without touching the book.
     */
    public PricedCost cost(CostQuery query) {
        long at = (query.at() != null ? query.at() : clock.instant()).toEpochMilli();
        if (query.feed() == null) {
            return priceEvent(query.model(), query.provider(), at, query.usage());
        }
        Catalog catalog;
        try {
            catalog = CatalogParser.parse(Files.readAllBytes(query.feed()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the feed " + query.feed(), e);
        } catch (FeedFormatException e) {
            throw new IllegalArgumentException("the feed " + query.feed() + " cannot be used: " + e.getMessage(), e);
        }
        return CostCalculator.price(PriceSnapshot.of(catalog), query.model(), query.provider(), at, query.usage());
    }

    /** Refreshes the book from the configured feed ({@link PricingSettings#feed()}). */
    public RefreshResult refresh() {
        return refresh(settings.feed());
    }

    /**
     * Refreshes the book from {@code source}: one {@code pricing_refresh_log} row, one transaction. The feed
     * is refused as a whole when a guard fails (see {@link PricingSettings}); this process sees the new
     * prices as soon as this returns, other processes within {@link PricingSettings#cacheCheckInterval()}.
     */
    public RefreshResult refresh(FeedSource source) {
        RefreshResult result = refresher.refresh(source);
        if (result.outcome() == RefreshOutcome.APPLIED) {
            cache.reload();
            if (result.added() > 0 || result.changed() > 0) {
                Map<Boolean, List<String>> opened = PriceBook.openedBy(db, result.id());
                String cause = "pricing_refresh " + result.id() + " (" + result.source() + ")";
                if (!opened.get(true).isEmpty()) {
                    tell(new PriceChange(opened.get(true), null, cause + ": " + opened.get(true).size()
                            + " model(s) new to the book"));
                }
                if (!opened.get(false).isEmpty()) {
                    tell(new PriceChange(opened.get(false), result.startedAt(), cause + ": "
                            + opened.get(false).size() + " model(s) with a new price"));
                }
            }
        }
        return result;
    }

    /**
     * Hears every price change that written usage may need re-pricing for: a refresh that added or changed models,
     * an override set or ended from a time in the past. A listener that throws is logged and does not undo the
     * change.
     */
    public void onPriceChange(Consumer<PriceChange> listener) {
        changeListeners.add(listener);
    }

    private void tell(PriceChange change) {
        for (Consumer<PriceChange> l : changeListeners) {
            try {
                l.accept(change);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(Pricing.class).warn("price change listener failed for {}: {}",
                        change.cause(), e.toString());
            }
        }
    }

    /**
     * Refreshes from the configured feed unless a run from it succeeded within {@code period}. Call it at
     * start: JobRunr OSS skips recurring runs missed while every server was down.
     */
    public Optional<RefreshResult> refreshIfStale(Duration period) {
        Optional<Instant> last = RefreshLog.lastSuccess(db, settings.feed().describe());
        if (last.isPresent() && last.get().plus(period).isAfter(clock.instant())) {
            return Optional.empty();
        }
        return Optional.of(refresh());
    }

    /** On a first start (empty book), loads the snapshot bundled in the jar: no network needed. */
    public Optional<RefreshResult> applyBundledSnapshotIfEmpty() {
        if (!PriceBook.isEmpty(db)) {
            return Optional.empty();
        }
        return Optional.of(refresh(new FeedSource.Bundled()));
    }

    /**
     * Registers (or updates) the recurring {@value PricingRefreshJob#RECURRING_JOB_ID} job at
     * {@link PricingSettings#refreshCron()}, in UTC. The JobActivator must hand out {@link #refreshJob()}.
     */
    public String scheduleRecurringRefresh(JobRequestScheduler scheduler) {
        return scheduler.scheduleRecurrently(PricingRefreshJob.RECURRING_JOB_ID, settings.refreshCron(),
                ZoneOffset.UTC, new PricingRefreshRequest());
    }

    /** The handler of {@link PricingRefreshRequest}, for the application's JobRunr {@code JobActivator}. */
    public PricingRefreshJob refreshJob() {
        return new PricingRefreshJob(this);
    }

    /** Sets an override (see {@link OverrideRequest}); this process prices with it at once. */
    public PriceOverride setOverride(OverrideRequest request) {
        Instant from = (request.validFrom() != null ? request.validFrom() : clock.instant())
                .truncatedTo(ChronoUnit.MILLIS);
        PriceOverride override = db.transactionResult(cfg -> {
            PriceBook.lock(cfg.dsl());
            return Overrides.set(cfg.dsl(), request, from);
        });
        cache.reload();
        if (from.isBefore(clock.instant())) {
            tell(new PriceChange(List.of(override.modelKey()), from, "override " + override.id() + " set on "
                    + override.modelKey() + " from " + from));
        }
        return override;
    }

    /** Ends the open override of {@code modelKey} at {@code at} (null: now); empty when it has none. */
    public Optional<PriceOverride> endOverride(String modelKey, Instant at) {
        Instant end = (at != null ? at : clock.instant()).truncatedTo(ChronoUnit.MILLIS);
        Optional<PriceOverride> ended = db.transactionResult(cfg -> {
            PriceBook.lock(cfg.dsl());
            return Overrides.end(cfg.dsl(), modelKey, end);
        });
        ended.ifPresent(o -> {
            cache.reload();
            if (end.isBefore(clock.instant())) {
                tell(new PriceChange(List.of(o.modelKey()), end, "override " + o.id() + " on " + o.modelKey()
                        + " ended at " + end));
            }
        });
        return ended;
    }

    /**
     * Sets an alias (see {@link AliasRequest}); this process prices with it at once. Refuses a name the price book
     * lists itself (the alias would never apply: an override changes a listed model's price) and a target the book
     * does not list. From a time in the past, the calls already recorded under the name are re-priced (back-pricing).
     */
    public ModelAlias setAlias(AliasRequest request) {
        PriceSnapshot snapshot = cache.current();
        int itself = snapshot.resolve(request.alias(), null);
        // A name the book lists itself is refused; a name only a documented fallback matches (a dated suffix) may be
        // aliased, since aliases are tried before the fallbacks.
        if (itself != PriceSnapshot.UNRESOLVED && !snapshot.matchKind(itself).isFallback()) {
            throw new IllegalArgumentException("'" + request.alias() + "' is a price book model itself ('"
                    + snapshot.key(itself) + "'): an alias of it would never apply; to change its price, set an"
                    + " override");
        }
        int target = snapshot.resolve(request.modelKey(), null);
        if (target == PriceSnapshot.UNRESOLVED || snapshot.matchKind(target) != MatchKind.EXACT) {
            throw new IllegalArgumentException("model '" + request.modelKey() + "' is not a price book key"
                    + (target == PriceSnapshot.UNRESOLVED ? "" : " (did you mean '" + snapshot.key(target) + "'?)")
                    + ": an alias names the exact key it is priced as");
        }
        Instant from = (request.validFrom() != null ? request.validFrom() : clock.instant())
                .truncatedTo(ChronoUnit.MILLIS);
        ModelAlias alias = db.transactionResult(cfg -> {
            PriceBook.lock(cfg.dsl());
            return Aliases.set(cfg.dsl(), request, from);
        });
        cache.reload();
        if (from.isBefore(clock.instant())) {
            tell(new PriceChange(List.of(alias.alias()), from, "alias " + alias.id() + " set: " + alias.alias()
                    + " priced as " + alias.modelKey() + " from " + from));
        }
        return alias;
    }

    /** Ends the open window of alias {@code alias} at {@code at} (null: now); empty when it has none. */
    public Optional<ModelAlias> endAlias(String alias, Instant at) {
        Instant end = (at != null ? at : clock.instant()).truncatedTo(ChronoUnit.MILLIS);
        Optional<ModelAlias> ended = db.transactionResult(cfg -> {
            PriceBook.lock(cfg.dsl());
            return Aliases.end(cfg.dsl(), alias, end);
        });
        ended.ifPresent(a -> {
            cache.reload();
            if (end.isBefore(clock.instant())) {
                tell(new PriceChange(List.of(a.alias()), end, "alias " + a.id() + " (" + a.alias() + " priced as "
                        + a.modelKey() + ") ended at " + end));
            }
        });
        return ended;
    }

    /** Every alias, open and closed, by name then start. */
    public List<ModelAlias> aliases() {
        return Aliases.all(db);
    }

    /** Every override, open and closed, by model then start. */
    public List<PriceOverride> overrides() {
        return Overrides.all(db);
    }

    /** A model's price history for {@code pricing show}: book rows oldest first, and its overrides. */
    public ModelHistory history(String model) {
        PriceSnapshot snapshot = cache.current();
        int resolved = snapshot.resolve(model, null, clock.instant().toEpochMilli());
        String key = resolved == PriceSnapshot.UNRESOLVED ? model : snapshot.key(resolved);
        MatchKind kind = resolved == PriceSnapshot.UNRESOLVED ? null : snapshot.matchKind(resolved);
        return new ModelHistory(model, key, kind, PriceBook.history(db, key), Overrides.of(db, key));
    }

    /** The latest {@code pricing_refresh} runs, newest first. */
    public List<RefreshResult> recentRefreshes(int limit) {
        return RefreshLog.recent(db, limit);
    }

    /** How many {@code pricing_refresh} runs ended each way, over the whole log (for metrics). */
    public Map<RefreshOutcome, Long> refreshOutcomes() {
        return RefreshLog.countByOutcome(db);
    }

    /**
     * Reloads the snapshot now if another process changed the book or the overrides; returns whether it
     * did. The background check calls this every {@link PricingSettings#cacheCheckInterval()}.
     */
    public boolean reloadIfChanged() {
        return cache.reloadIfChanged();
    }

    /** Models the current snapshot can price. */
    public int modelCount() {
        return cache.current().modelCount();
    }

    /** Stops the background check. The DataSource belongs to the caller and stays open. */
    @Override
    public void close() {
        cache.close();
    }
}
