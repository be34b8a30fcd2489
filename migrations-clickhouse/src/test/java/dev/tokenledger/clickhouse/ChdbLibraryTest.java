package dev.tokenledger.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fetch path against a local registry serving a small fake package; every chDB test exercises the real one. */
class ChdbLibraryTest {
    private static final byte[] FAKE_LIBRARY = "not really an ELF file".getBytes(StandardCharsets.UTF_8);
    private static final Download.Timeouts QUICK = new Download.Timeouts(
            Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(5));

    @TempDir
    Path cache;

    private HttpServer registry;
    private final AtomicInteger requests = new AtomicInteger();
    private final ByteArrayOutputStream progress = new ByteArrayOutputStream();
    private byte[] tarball;

    @BeforeEach
    void startRegistry() throws IOException {
        tarball = fakePackage();
        registry = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        registry.createContext(ChdbLibrary.TARBALL_PATH, exchange -> {
            requests.incrementAndGet();
            exchange.sendResponseHeaders(200, tarball.length);
            try (var body = exchange.getResponseBody()) {
                body.write(tarball);
            }
        });
        registry.start();
    }

    @AfterEach
    void stopRegistry() {
        registry.stop(0);
    }

    private URI tarballUri() {
        return URI.create("http://127.0.0.1:" + registry.getAddress().getPort() + ChdbLibrary.TARBALL_PATH);
    }

    private ChdbLibrary library(URI uri, String integrity) {
        return new ChdbLibrary(null, cache, uri, integrity, QUICK, new PrintStream(progress, true, StandardCharsets.UTF_8));
    }

    @Test
    void downloadsVerifiesAndExtractsTheLibraryIntoTheCacheOnlyOnce() throws IOException {
        Path first = library(tarballUri(), integrityOf(tarball)).resolve();
        Path second = library(tarballUri(), integrityOf(tarball)).resolve();

        assertThat(first).isEqualTo(cache.resolve("libchdb.so")).isEqualTo(second);
        assertThat(Files.readAllBytes(first)).isEqualTo(FAKE_LIBRARY);
        assertThat(requests).hasValue(1);
        assertThat(progress.toString(StandardCharsets.UTF_8)).contains("fetching chDB 26.7.3 (0 MB) ... 100%");
        try (var leftovers = Files.list(cache)) {
            assertThat(leftovers.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("libchdb.so", "libchdb.so.lock");
        }
    }

    @Test
    void threadsResolvingAtOnceDownloadOnce() throws Exception {
        var pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Callable<Path> resolve = () -> library(tarballUri(), integrityOf(tarball)).resolve();
                results.add(pool.submit(resolve));
            }
            for (Future<Path> r : results) {
                assertThat(r.get()).isEqualTo(cache.resolve("libchdb.so"));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(requests).hasValue(1);
    }

    @Test
    void aChecksumMismatchNamesBothHashesAndLeavesNothingInTheCache() throws IOException {
        String pinned = "sha512-" + Base64.getEncoder().encodeToString(new byte[64]);

        assertThatThrownBy(() -> library(tarballUri(), pinned).resolve())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("checksum mismatch")
                .hasMessageContaining("expected " + pinned)
                .hasMessageContaining("got " + integrityOf(tarball));
        try (var files = Files.list(cache)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("libchdb.so.lock");
        }
    }

    @Test
    void aRefusedConnectionIsOneClearLine() {
        URI uri = tarballUri();
        registry.stop(0);

        assertThatThrownBy(() -> library(uri, integrityOf(tarball)).resolve())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("connection refused")
                .hasMessageContaining("TOKENLEDGER_CHDB_LIB")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aMissingPackageReportsTheHttpStatus() {
        URI missing = URI.create("http://127.0.0.1:" + registry.getAddress().getPort() + "/nothing-here.tgz");

        assertThatThrownBy(() -> library(missing, integrityOf(tarball)).resolve())
                .hasMessageContaining("HTTP 404");
    }

    @Test
    void theEnvironmentOverrideWinsAndMustNameAFile() throws IOException {
        Path own = Files.write(cache.resolve("own-libchdb.so"), FAKE_LIBRARY);

        assertThat(ChdbLibrary.fromEnvironment(Map.of("TOKENLEDGER_CHDB_LIB", own.toString())).resolve()).isEqualTo(own);
        assertThatThrownBy(() -> ChdbLibrary.fromEnvironment(Map.of("TOKENLEDGER_CHDB_LIB", cache.resolve("none").toString())).resolve())
                .hasMessageContaining("TOKENLEDGER_CHDB_LIB is " + cache.resolve("none"));
    }

    @Test
    void theCacheLivesUnderXdgCacheHomeAndIsUsedWithoutTheNetwork() throws IOException {
        Path cached = cache.resolve("tokenledger/chdb/" + ChdbLibrary.VERSION + "/libchdb.so");
        Files.createDirectories(cached.getParent());
        Files.write(cached, FAKE_LIBRARY);

        Path found = ChdbLibrary.fromEnvironment(Map.of(
                "XDG_CACHE_HOME", cache.toString(),
                "TOKENLEDGER_NPM_REGISTRY", "http://127.0.0.1:1")).resolve();

        assertThat(found).isEqualTo(cached);
    }

    private static byte[] fakePackage() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bytes))) {
            addEntry(tar, "package/package.json", "{}".getBytes(StandardCharsets.UTF_8));
            addEntry(tar, ChdbLibrary.LIBRARY_ENTRY, FAKE_LIBRARY);
        }
        return bytes.toByteArray();
    }

    private static void addEntry(TarArchiveOutputStream tar, String name, byte[] content) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(content.length);
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    private static String integrityOf(byte[] content) {
        try {
            return "sha512-" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-512").digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
