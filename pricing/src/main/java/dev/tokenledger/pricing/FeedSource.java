package dev.tokenledger.pricing;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/** Where a LiteLLM price feed comes from. */
public sealed interface FeedSource {

    /** A feed fetched over HTTP(S), with timeouts, a size cap and {@code If-None-Match}. */
    record Url(URI uri) implements FeedSource {
        public Url {
            Objects.requireNonNull(uri, "uri");
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException("feed URL must be http(s), got '" + uri + "'");
            }
        }

        @Override
        public String describe() {
            return uri.toString();
        }
    }

    /** A feed read from a local file. */
    record File(Path path) implements FeedSource {
        public File {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public String describe() {
            return "file:" + path.toAbsolutePath().normalize();
        }
    }

    /** The snapshot bundled in tokenledger's jar: loads an empty book without network. */
    record Bundled() implements FeedSource {
        /** The class-path resource holding the bundled LiteLLM file. */
        public static final String RESOURCE = "model_prices_2026-07-24.json";

        @Override
        public String describe() {
            return "bundled:" + RESOURCE;
        }
    }

    /** How the source is named in {@code pricing_refresh_log.source}. */
    String describe();

    /** {@code bundled}, an {@code http(s)://} URL, or a file path. */
    static FeedSource parse(String text) {
        Objects.requireNonNull(text, "feed source");
        String t = text.strip();
        if (t.equalsIgnoreCase("bundled")) {
            return new Bundled();
        }
        String lower = t.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            return new Url(URI.create(t));
        }
        return new File(Path.of(lower.startsWith("file:") ? t.substring(5) : t));
    }
}
