package dev.tokenledger.pricing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.nio.file.Files;

/**
 * Reads a feed's bytes: over HTTP(S) with connect and read timeouts, a size cap and
 * {@code If-None-Match}; from a file; or from the bundled resource.
 */
final class FeedFetcher {
    private final PricingSettings settings;

    FeedFetcher(PricingSettings settings) {
        this.settings = settings;
    }

    /** What was read. {@code body} is null when the server answered 304 Not Modified. */
    record Fetched(byte[] body, String etag) {
        boolean notModified() {
            return body == null;
        }
    }

    /** The feed cannot be used as it is (too large, HTTP error): refused rather than failed. */
    static final class FeedRefusedException extends Exception {
        FeedRefusedException(String message) {
            super(message);
        }
    }

    Fetched fetch(FeedSource source, String ifNoneMatch) throws IOException, FeedRefusedException {
        return switch (source) {
            case FeedSource.Url url -> http(url, ifNoneMatch);
            case FeedSource.File file -> {
                long size = Files.size(file.path());
                if (size > settings.maxFeedBytes()) {
                    throw tooLarge(size + " bytes");
                }
                yield new Fetched(Files.readAllBytes(file.path()), null);
            }
            case FeedSource.Bundled bundled -> {
                try (InputStream in = FeedFetcher.class.getClassLoader().getResourceAsStream(FeedSource.Bundled.RESOURCE)) {
                    if (in == null) {
                        throw new IOException("the bundled price snapshot " + FeedSource.Bundled.RESOURCE
                                + " is missing from the class path");
                    }
                    yield new Fetched(in.readAllBytes(), null);
                }
            }
        };
    }

    private Fetched http(FeedSource.Url url, String ifNoneMatch) throws IOException, FeedRefusedException {
        HttpURLConnection c = (HttpURLConnection) url.uri().toURL().openConnection();
        try {
            c.setConnectTimeout(Math.toIntExact(settings.connectTimeout().toMillis()));
            c.setReadTimeout(Math.toIntExact(settings.readTimeout().toMillis()));
            c.setInstanceFollowRedirects(true);
            c.setRequestProperty("Accept", "application/json");
            c.setRequestProperty("User-Agent", "tokenledger-pricing");
            if (ifNoneMatch != null) {
                c.setRequestProperty("If-None-Match", ifNoneMatch);
            }
            int status = c.getResponseCode();
            String etag = c.getHeaderField("ETag");
            if (status == HttpURLConnection.HTTP_NOT_MODIFIED) {
                return new Fetched(null, etag != null ? etag : ifNoneMatch);
            }
            if (status != HttpURLConnection.HTTP_OK) {
                throw new IOException("HTTP " + status + " from " + url.uri());
            }
            long declared = c.getContentLengthLong();
            if (declared > settings.maxFeedBytes()) {
                throw tooLarge(declared + " bytes declared");
            }
            try (InputStream in = c.getInputStream()) {
                return new Fetched(readCapped(in), etag);
            }
        } finally {
            c.disconnect();
        }
    }

    private byte[] readCapped(InputStream in) throws IOException, FeedRefusedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 20);
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) != -1) {
            total += n;
            if (total > settings.maxFeedBytes()) {
                throw tooLarge("more than " + settings.maxFeedBytes() + " bytes");
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private FeedRefusedException tooLarge(String size) {
        return new FeedRefusedException("the feed is too large (" + size + "; the cap is " + settings.maxFeedBytes()
                + " bytes)");
    }
}
