package dev.tokenledger.clickhouse;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One HTTP download into a file, checked against an npm-style integrity string
 * ({@code sha512-<base64>}) while it streams. Prints a one-line progress indicator. Every failure is a
 * one-line {@link IllegalStateException} saying what to do about it.
 */
final class Download {

    /**
     * @param connect how long to wait for the TCP/TLS connection
     * @param response how long to wait for the response headers
     * @param stall how long the body may deliver nothing before the download is abandoned
     */
    record Timeouts(Duration connect, Duration response, Duration stall) {
        static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(20), Duration.ofSeconds(60), Duration.ofSeconds(60));
    }

    private static final String HINT = " (set TOKENLEDGER_CHDB_LIB to a local libchdb.so, or TOKENLEDGER_NPM_REGISTRY to a reachable npm registry)";

    private final URI uri;
    private final String integrity;
    private final Timeouts timeouts;
    private final PrintStream progress;
    private final String label;

    Download(URI uri, String integrity, Timeouts timeouts, PrintStream progress, String label) {
        if (!integrity.startsWith("sha512-")) {
            throw new IllegalArgumentException("only sha512 integrity is supported, got " + integrity);
        }
        this.uri = uri;
        this.integrity = integrity;
        this.timeouts = timeouts;
        this.progress = progress;
        this.label = label;
    }

    void to(Path file) throws IOException {
        MessageDigest sha512 = sha512();
        try (HttpClient http = HttpClient.newBuilder()
                .connectTimeout(timeouts.connect())
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build()) {
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeouts.response()).GET().build();
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    throw new IllegalStateException("downloading " + uri + " failed: HTTP " + response.statusCode() + HINT);
                }
                long total = response.headers().firstValueAsLong("Content-Length").orElse(-1);
                copyWithStallGuard(body, file, sha512, total);
            }
        } catch (HttpConnectTimeoutException e) {
            throw new IllegalStateException("downloading " + uri + " failed: connect timed out after "
                    + timeouts.connect().toSeconds() + " s" + HINT, e);
        } catch (HttpTimeoutException e) {
            throw new IllegalStateException("downloading " + uri + " failed: no response within "
                    + timeouts.response().toSeconds() + " s" + HINT, e);
        } catch (ConnectException e) {
            throw new IllegalStateException("downloading " + uri + " failed: connection refused" + HINT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while downloading " + uri);
        }
        String actual = "sha512-" + Base64.getEncoder().encodeToString(sha512.digest());
        if (!actual.equals(integrity)) {
            throw new IllegalStateException("checksum mismatch for " + uri + ": expected " + integrity + ", got " + actual);
        }
    }

    /**
     * Copies the body while hashing it. The JDK client has no read timeout, so a watchdog interrupts the
     * reading thread if no byte arrives for {@code stall}; the blocked read then fails.
     */
    private void copyWithStallGuard(InputStream body, Path file, MessageDigest digest, long total) throws IOException {
        AtomicLong lastProgress = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        Thread reader = Thread.currentThread();
        long stallNanos = timeouts.stall().toNanos();
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "chdb-download-watchdog");
            t.setDaemon(true);
            return t;
        });
        watchdog.scheduleAtFixedRate(() -> {
            if (System.nanoTime() - lastProgress.get() > stallNanos && stalled.compareAndSet(false, true)) {
                reader.interrupt();
            }
        }, 1, 1, TimeUnit.SECONDS);
        ProgressLine line = new ProgressLine(progress, label, total);
        try (OutputStream out = Files.newOutputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            long done = 0;
            for (int n; (n = body.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                digest.update(buffer, 0, n);
                done += n;
                lastProgress.set(System.nanoTime());
                line.update(done);
            }
            line.finish(done);
        } catch (IOException e) {
            if (stalled.get()) {
                throw new IllegalStateException("downloading " + uri + " stalled: no data for "
                        + timeouts.stall().toSeconds() + " s" + HINT, e);
            }
            throw new IllegalStateException("downloading " + uri + " failed: " + e.getMessage() + HINT, e);
        } finally {
            watchdog.shutdownNow();
            if (stalled.get()) {
                Thread.interrupted(); // the watchdog's interrupt was ours; do not leak it to the caller
            }
        }
    }

    private static MessageDigest sha512() {
        try {
            return MessageDigest.getInstance("SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code fetching chDB 26.7.3 (178 MB) ... 45%}, redrawn in place every 5%. */
    private static final class ProgressLine {
        private final PrintStream out;
        private final String prefix;
        private final long total;
        private int shownPercent = -1;

        ProgressLine(PrintStream out, String label, long total) {
            this.out = out;
            this.total = total;
            this.prefix = label + (total > 0 ? " (" + Math.round(total / 1e6) + " MB)" : "") + " ... ";
        }

        void update(long done) {
            if (total <= 0) {
                return;
            }
            int percent = (int) (done * 100 / total);
            if (percent / 5 != shownPercent / 5 && percent < 100) { // finish() prints the 100%
                shownPercent = percent;
                out.print("\r" + prefix + percent + "%");
                out.flush();
            }
        }

        void finish(long done) {
            out.println("\r" + prefix + (total > 0 ? "100%" : Math.round(done / 1e6) + " MB") + " done");
            out.flush();
        }
    }
}
