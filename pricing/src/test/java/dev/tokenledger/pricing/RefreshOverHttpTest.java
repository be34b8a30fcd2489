package dev.tokenledger.pricing;

import static dev.tokenledger.postgres.schema.Tables.MODEL_PRICING;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** The feed served by a local HTTP server: no test ever reaches the internet. */
class RefreshOverHttpTest {
    private static final Instant T0 = Instant.parse("2026-07-25T03:17:00Z");

    private HttpServer server;
    private final List<String> ifNoneMatchSeen = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile byte[] feed = TestFeeds.bytes(TestFeeds.JUL);
    private volatile String etag = "\"v1\"";
    private String testName;

    @BeforeEach
    void startServer(TestInfo test) throws IOException {
        testName = test.getTestMethod().orElseThrow().getName();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/prices.json", this::serveFeed);
        server.createContext("/broken.json", ex -> respond(ex, 500, "boom".getBytes()));
        server.createContext("/hanging.json", ex -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            respond(ex, 200, "{}".getBytes());
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    @AfterEach
    void stopServer() {
        release.countDown();
        server.stop(0);
    }

    private void serveFeed(HttpExchange ex) throws IOException {
        String sent = ex.getRequestHeaders().getFirst("If-None-Match");
        ifNoneMatchSeen.add(String.valueOf(sent));
        ex.getResponseHeaders().add("ETag", etag);
        if (etag.equals(sent)) {
            ex.sendResponseHeaders(304, -1);
            ex.close();
            return;
        }
        respond(ex, 200, feed);
    }

    private static void respond(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private FeedSource.Url url(String path) {
        return new FeedSource.Url(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path));
    }

    @Test
    void theLastEtagIsSentBackAndA304ChangesNothing() {
        try (TestBook book = TestBook.fresh(testName, T0, s -> s.withFeed(url("/prices.json")))) {
            RefreshResult first = book.pricing.refresh();
            long version = book.version();
            book.clock.advance(Duration.ofDays(1));

            RefreshResult second = book.pricing.refresh();

            assertThat(first.outcome()).isEqualTo(RefreshOutcome.APPLIED);
            assertThat(first.etag()).isEqualTo("\"v1\"");
            assertThat(second.outcome()).isEqualTo(RefreshOutcome.NOT_MODIFIED);
            assertThat(second.etag()).isEqualTo("\"v1\"");
            assertThat(ifNoneMatchSeen).containsExactly("null", "\"v1\"");
            assertThat(book.version()).isEqualTo(version);
        }
    }

    @Test
    void aNewEtagFetchesTheFeedAgain() {
        try (TestBook book = TestBook.fresh(testName, T0, s -> s.withFeed(url("/prices.json")))) {
            book.pricing.refresh();
            etag = "\"v2\"";
            book.clock.advance(Duration.ofDays(1));

            RefreshResult second = book.pricing.refresh();

            assertThat(second.outcome()).isEqualTo(RefreshOutcome.UNCHANGED);
            assertThat(second.etag()).isEqualTo("\"v2\"");
        }
    }

    @Test
    void aFeedLargerThanTheCapIsRefused() {
        try (TestBook book = TestBook.fresh(testName, T0,
                s -> s.withFeed(url("/prices.json")).withMaxFeedBytes(1_000_000))) {
            RefreshResult result = book.pricing.refresh();

            assertThat(result.outcome()).isEqualTo(RefreshOutcome.REFUSED);
            assertThat(result.reason()).contains("too large").contains("the cap is 1000000 bytes");
            assertThat(book.sql.fetchCount(MODEL_PRICING)).isZero();
        }
    }

    @Test
    void anHttpErrorFailsTheRunAndIsLogged() {
        try (TestBook book = TestBook.fresh(testName, T0, s -> s.withFeed(url("/broken.json")))) {
            RefreshResult result = book.pricing.refresh();

            assertThat(result.outcome()).isEqualTo(RefreshOutcome.FAILED);
            assertThat(result.reason()).contains("HTTP 500");
            assertThat(book.pricing.recentRefreshes(1)).singleElement()
                    .extracting(RefreshResult::outcome).isEqualTo(RefreshOutcome.FAILED);
        }
    }

    @Test
    void aServerThatNeverAnswersFailsAfterTheReadTimeout() {
        try (TestBook book = TestBook.fresh(testName, T0, s -> s.withFeed(url("/hanging.json"))
                .withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(300)))) {
            RefreshResult result = book.pricing.refresh();

            assertThat(result.outcome()).isEqualTo(RefreshOutcome.FAILED);
            assertThat(result.reason()).containsIgnoringCase("timed out");
        }
    }
}
