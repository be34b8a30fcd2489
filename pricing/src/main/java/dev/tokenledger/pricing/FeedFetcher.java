package dev.tokenledger.pricing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
        // java.net.http, as the chDB download uses: one HTTP client in the code base.
        HttpRequest.Builder request = HttpRequest.newBuilder(url.uri())
                .timeout(settings.readTimeout())
                .header("Accept", "application/json")
                .header("User-Agent", "tokenledger-pricing")
                .GET();
        if (ifNoneMatch != null) {
            request.header("If-None-Match", ifNoneMatch);
        }
        // A client per fetch (a refresh is hourly at most), closed with it: no thread outlives the refresh.
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NORMAL).build()) {
            HttpResponse<InputStream> response;
            try {
                response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while fetching " + url.uri(), e);
            }
            return read(url, ifNoneMatch, response);
        }
    }

    private Fetched read(FeedSource.Url url, String ifNoneMatch, HttpResponse<InputStream> response)
            throws IOException, FeedRefusedException {
        try (InputStream in = response.body()) {
            int status = response.statusCode();
            String etag = response.headers().firstValue("ETag").orElse(null);
            if (status == 304) {
                return new Fetched(null, etag != null ? etag : ifNoneMatch);
            }
            if (status != 200) {
                throw new IOException("HTTP " + status + " from " + url.uri());
            }
            long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (declared > settings.maxFeedBytes()) {
                throw tooLarge(declared + " bytes declared");
            }
            return new Fetched(readCapped(in), etag);
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
