package dev.tokenledger.pricing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/** The two real LiteLLM snapshots and feeds derived from them, as files a refresh can read. */
final class TestFeeds {
    /** LiteLLM's file as of 2026-02-28 (test resource). */
    static final String FEB = "litellm/model_prices_2026-02-28.json";
    /** LiteLLM's file as of 2026-07-24 (the snapshot bundled in the jar). */
    static final String JUL = FeedSource.Bundled.RESOURCE;

    private TestFeeds() {
    }

    static byte[] bytes(String resource) {
        try (InputStream in = TestFeeds.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("test resource " + resource + " is missing");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Catalog catalog(String resource) {
        try {
            return CatalogParser.parse(bytes(resource));
        } catch (FeedFormatException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A snapshot of a feed written inline, for rule tests. */
    static PriceSnapshot snapshot(String json) {
        try {
            return PriceSnapshot.of(CatalogParser.parse(json.getBytes(StandardCharsets.UTF_8)));
        } catch (FeedFormatException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static FeedSource.File file(Path dir, String name, byte[] content) {
        try {
            Path p = dir.resolve(name);
            Files.write(p, content);
            return new FeedSource.File(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static FeedSource.File file(Path dir, String resource) {
        return file(dir, Path.of(resource).getFileName().toString(), bytes(resource));
    }

    static FeedSource.File file(Path dir, String name, String content) {
        return file(dir, name, content.getBytes(StandardCharsets.UTF_8));
    }

    /** Only the named models of a real feed. */
    static byte[] subset(String resource, String... models) {
        java.util.Set<String> keep = java.util.Set.of(models);
        return edited(resource, root -> root.properties().removeIf(e -> !keep.contains(e.getKey())));
    }

    /** A copy of a real feed changed by {@code edit}, numbers kept exact. */
    static byte[] edited(String resource, Consumer<ObjectNode> edit) {
        ObjectNode root = (ObjectNode) Json.read(new String(bytes(resource), StandardCharsets.UTF_8));
        edit.accept(root);
        return Json.write(root).getBytes(StandardCharsets.UTF_8);
    }
}
