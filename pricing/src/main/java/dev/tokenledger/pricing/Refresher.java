package dev.tokenledger.pricing;

import java.io.IOException;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code pricing_refresh} run: fetch, parse, guard, apply, log. Guards refuse the whole feed (the
 * book is left as it was and the reason is logged) when it is not JSON or truncated, larger than the cap,
 * has fewer than {@link PricingSettings#minModels()} models, or would mark more than
 * {@link PricingSettings#maxShrinkShare()} of the models the book lists as gone (a model whose entry is
 * malformed counts here too, although its row is kept exactly as it was).
 */
final class Refresher {
    private static final Logger LOG = LoggerFactory.getLogger(Refresher.class);

    private final DSLContext db;
    private final PricingSettings settings;
    private final InstantSource clock;
    private final FeedFetcher fetcher;

    Refresher(DSLContext db, PricingSettings settings, InstantSource clock) {
        this.db = db;
        this.settings = settings;
        this.clock = clock;
        this.fetcher = new FeedFetcher(settings);
    }

    RefreshResult refresh(FeedSource source) {
        String name = source.describe();
        Instant started = now();
        long id = RefreshLog.start(db, name, started);
        Run run = new Run(id, name, started);
        RefreshResult result;
        try {
            String etag = source instanceof FeedSource.Url ? RefreshLog.lastEtag(db, name) : null;
            FeedFetcher.Fetched fetched = fetcher.fetch(source, etag);
            if (fetched.notModified()) {
                result = run.finish(RefreshOutcome.NOT_MODIFIED, null, null, null, fetched.etag());
                RefreshLog.finish(db, result);
            } else {
                Catalog catalog = CatalogParser.parse(fetched.body());
                result = apply(run, catalog, fetched.etag());
            }
        } catch (FeedFormatException | FeedFetcher.FeedRefusedException e) {
            result = run.finish(RefreshOutcome.REFUSED, e.getMessage(), null, null, null);
            RefreshLog.finish(db, result);
        } catch (IOException | RuntimeException e) {
            String reason = e.getClass().getSimpleName() + ": " + e.getMessage();
            result = run.finish(RefreshOutcome.FAILED, reason, null, null, null);
            RefreshLog.finish(db, result);
        }
        log(result);
        return result;
    }

    private RefreshResult apply(Run run, Catalog catalog, String etag) {
        return db.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            PriceBook.lock(tx);
            RefreshResult result;
            String refusal = guard(catalog, null);
            PriceBook.Plan plan = null;
            if (refusal == null) {
                plan = PriceBook.plan(tx, catalog);
                refusal = guard(catalog, plan);
            }
            if (refusal != null) {
                result = run.finish(RefreshOutcome.REFUSED, refusal, catalog, null, etag);
            } else if (plan.isNoOp()) {
                result = run.finish(RefreshOutcome.UNCHANGED, null, catalog, plan, etag);
            } else {
                PriceBook.apply(tx, plan, run.started.toEpochMilli(), run.id);
                result = run.finish(RefreshOutcome.APPLIED, null, catalog, plan, etag);
            }
            RefreshLog.finish(tx, result);
            return result;
        });
    }

    /** Why the feed must be refused, or null. Without a plan only the feed itself is checked. */
    private String guard(Catalog catalog, PriceBook.Plan plan) {
        if (plan == null) {
            if (catalog.size() < settings.minModels()) {
                return "the feed has " + catalog.size() + " models, fewer than the minimum of "
                        + settings.minModels() + (catalog.skipped().isEmpty() ? ""
                        : " (" + catalog.skipped().size() + " entries skipped as malformed)");
            }
            return null;
        }
        int present = plan.presentInBook();
        int removed = plan.removed().size();
        int unreadable = plan.unreadable().size();
        int lost = removed + unreadable;
        if (present > 0 && lost > settings.maxShrinkShare() * present) {
            return String.format(Locale.ROOT,
                    "the feed drops %d of the %d models the book lists%s (%.1f%%), more than the %.1f%% allowed",
                    removed, present, unreadable == 0 ? "" : " and lists " + unreadable + " of them malformed",
                    100.0 * lost / present, 100.0 * settings.maxShrinkShare());
        }
        return null;
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    private final class Run {
        final long id;
        final String source;
        final Instant started;

        Run(long id, String source, Instant started) {
            this.id = id;
            this.source = source;
            this.started = started;
        }

        RefreshResult finish(RefreshOutcome outcome, String reason, Catalog catalog, PriceBook.Plan plan,
                             String etag) {
            List<SkippedEntry> skipped = catalog == null ? List.of() : catalog.skipped();
            return new RefreshResult(id, source, outcome, reason, started, now(),
                    catalog == null ? null : catalog.size(),
                    plan == null ? 0 : plan.added().size() + plan.reappeared().size(),
                    plan == null ? 0 : plan.changed().size(),
                    plan == null ? 0 : plan.removed().size(),
                    plan == null ? 0 : plan.updated().size(),
                    skipped.size(), skipped, catalog == null ? null : catalog.sha256(), etag);
        }
    }

    private static void log(RefreshResult r) {
        switch (r.outcome()) {
            case APPLIED -> LOG.info("pricing_refresh from {}: applied ({} models; {} added, {} changed, {} removed,"
                            + " {} updated, {} skipped)", r.source(), r.modelsInFeed(), r.added(), r.changed(),
                    r.removed(), r.updated(), r.skipped());
            case UNCHANGED, NOT_MODIFIED -> LOG.info("pricing_refresh from {}: {}", r.source(), r.outcome());
            default -> LOG.warn("pricing_refresh from {}: {}: {}", r.source(), r.outcome(), r.reason());
        }
        for (SkippedEntry s : r.skippedEntries()) {
            LOG.warn("pricing_refresh skipped '{}': {}", s.modelKey(), s.reason());
        }
    }
}
