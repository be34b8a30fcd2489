package dev.tokenledger.pricing;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import org.jobrunr.scheduling.cron.CronExpression;

/**
 * How pricing fetches, guards and caches the price book. Start from {@link #defaults()}.
 *
 * @param feed                where {@code pricing_refresh} reads (default: LiteLLM's published file on GitHub)
 * @param connectTimeout      HTTP connect timeout (default 10 s)
 * @param readTimeout         HTTP read timeout, per read (default 60 s)
 * @param maxFeedBytes        a larger feed is refused (default 64 MiB; LiteLLM's file is ~1.5 MB)
 * @param minModels           a feed with fewer models is refused (default 500)
 * @param maxShrinkShare      a feed that would mark more than this share of the book's listed models as
 *                            gone is refused (default 0.20)
 * @param refreshCron         when the recurring {@code pricing_refresh} job runs, in UTC (default daily 03:17)
 * @param cacheCheckInterval  how often a process checks whether another process changed the book or the
 *                            overrides (default 30 s; zero turns the background check off)
 */
public record PricingSettings(FeedSource feed, Duration connectTimeout, Duration readTimeout, long maxFeedBytes,
                              int minModels, double maxShrinkShare, String refreshCron,
                              Duration cacheCheckInterval) {

    public static final URI DEFAULT_FEED_URL = URI.create(
            "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json");
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(60);
    public static final long DEFAULT_MAX_FEED_BYTES = 64L * 1024 * 1024;
    public static final int DEFAULT_MIN_MODELS = 500;
    public static final double DEFAULT_MAX_SHRINK_SHARE = 0.20;
    public static final String DEFAULT_REFRESH_CRON = "17 3 * * *";
    public static final Duration DEFAULT_CACHE_CHECK_INTERVAL = Duration.ofSeconds(30);

    public PricingSettings {
        Objects.requireNonNull(feed, "feed");
        requirePositive("connectTimeout", connectTimeout);
        requirePositive("readTimeout", readTimeout);
        if (maxFeedBytes < 1024) {
            throw new IllegalArgumentException("maxFeedBytes must be at least 1024, got " + maxFeedBytes);
        }
        if (minModels < 0) {
            throw new IllegalArgumentException("minModels must be >= 0, got " + minModels);
        }
        if (!(maxShrinkShare >= 0 && maxShrinkShare <= 1)) {
            throw new IllegalArgumentException("maxShrinkShare must be between 0 and 1, got " + maxShrinkShare);
        }
        Objects.requireNonNull(refreshCron, "refreshCron");
        try {
            new CronExpression(refreshCron);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("refreshCron is not a cron expression: '" + refreshCron + "' ("
                    + e.getMessage() + ")", e);
        }
        Objects.requireNonNull(cacheCheckInterval, "cacheCheckInterval");
        if (cacheCheckInterval.isNegative()) {
            throw new IllegalArgumentException("cacheCheckInterval must be >= 0, got " + cacheCheckInterval);
        }
    }

    public static PricingSettings defaults() {
        return new PricingSettings(new FeedSource.Url(DEFAULT_FEED_URL), DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT,
                DEFAULT_MAX_FEED_BYTES, DEFAULT_MIN_MODELS, DEFAULT_MAX_SHRINK_SHARE, DEFAULT_REFRESH_CRON,
                DEFAULT_CACHE_CHECK_INTERVAL);
    }

    public PricingSettings withFeed(FeedSource f) {
        return new PricingSettings(f, connectTimeout, readTimeout, maxFeedBytes, minModels, maxShrinkShare,
                refreshCron, cacheCheckInterval);
    }

    public PricingSettings withTimeouts(Duration connect, Duration read) {
        return new PricingSettings(feed, connect, read, maxFeedBytes, minModels, maxShrinkShare, refreshCron,
                cacheCheckInterval);
    }

    public PricingSettings withMaxFeedBytes(long bytes) {
        return new PricingSettings(feed, connectTimeout, readTimeout, bytes, minModels, maxShrinkShare, refreshCron,
                cacheCheckInterval);
    }

    public PricingSettings withMinModels(int n) {
        return new PricingSettings(feed, connectTimeout, readTimeout, maxFeedBytes, n, maxShrinkShare, refreshCron,
                cacheCheckInterval);
    }

    public PricingSettings withMaxShrinkShare(double share) {
        return new PricingSettings(feed, connectTimeout, readTimeout, maxFeedBytes, minModels, share, refreshCron,
                cacheCheckInterval);
    }

    public PricingSettings withRefreshCron(String cron) {
        return new PricingSettings(feed, connectTimeout, readTimeout, maxFeedBytes, minModels, maxShrinkShare, cron,
                cacheCheckInterval);
    }

    public PricingSettings withCacheCheckInterval(Duration interval) {
        return new PricingSettings(feed, connectTimeout, readTimeout, maxFeedBytes, minModels, maxShrinkShare,
                refreshCron, interval);
    }

    private static void requirePositive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }
}
