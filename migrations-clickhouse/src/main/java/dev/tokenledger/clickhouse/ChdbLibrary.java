package dev.tokenledger.clickhouse;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds chDB's {@code libchdb.so}, the whole ClickHouse engine as one shared library, fetching it once if
 * needed. In order:
 * <ol>
 *   <li>{@code TOKENLEDGER_CHDB_LIB}, a path to a {@code libchdb.so}, if set;</li>
 *   <li>the cache, {@code ${XDG_CACHE_HOME:-~/.cache}/tokenledger/chdb/<version>/libchdb.so};</li>
 *   <li>otherwise the pinned npm package {@code @chdb/lib-linux-x64-gnu} is downloaded from
 *       {@code TOKENLEDGER_NPM_REGISTRY} (default {@code https://registry.npmjs.org}), checked against its
 *       pinned sha512 integrity, and {@code package/libchdb.so} is extracted into the cache.</li>
 * </ol>
 * The library is pinned by version and hash: a different engine could change what tokenledger relies on
 * (deduplication defaults, signal handling), so it never floats.
 *
 * <p>A file lock in the cache directory keeps two JVMs (parallel test forks, two services) from
 * downloading at once; the loser waits and then finds the file in place. The file appears by an atomic
 * rename, so a reader never sees half of it.
 */
public final class ChdbLibrary {
    private static final Logger log = LoggerFactory.getLogger(ChdbLibrary.class);

    public static final String VERSION = "26.7.3-stable.1";
    /** npm's {@code dist.integrity} of {@code @chdb/lib-linux-x64-gnu@26.7.3-stable.1}. */
    static final String INTEGRITY =
            "sha512-XP97mMqnc5tZpKQywR8N7cLTsHNiTmHr30pC5mzo3jWmukjKn2IBa60c2B/gWUNcuFjOMjWoorQICCqBVj5wpw==";
    static final String DEFAULT_REGISTRY = "https://registry.npmjs.org";
    static final String TARBALL_PATH = "/@chdb/lib-linux-x64-gnu/-/lib-linux-x64-gnu-" + VERSION + ".tgz";
    static final String LIBRARY_ENTRY = "package/libchdb.so";
    static final String LIBRARY_FILE = "libchdb.so";

    private final Path override;
    private final Path cacheDir;
    private final URI tarball;
    private final String integrity;
    private final Download.Timeouts timeouts;
    private final PrintStream progress;

    ChdbLibrary(Path override, Path cacheDir, URI tarball, String integrity, Download.Timeouts timeouts,
                PrintStream progress) {
        this.override = override;
        this.cacheDir = Objects.requireNonNull(cacheDir, "cacheDir");
        this.tarball = Objects.requireNonNull(tarball, "tarball");
        this.integrity = Objects.requireNonNull(integrity, "integrity");
        this.timeouts = Objects.requireNonNull(timeouts, "timeouts");
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /** The path of a usable {@code libchdb.so}, downloading it into the cache on first use. */
    public static Path locate() {
        return fromEnvironment(System.getenv()).resolve();
    }

    static ChdbLibrary fromEnvironment(Map<String, String> env) {
        String lib = env.get("TOKENLEDGER_CHDB_LIB");
        String xdg = env.get("XDG_CACHE_HOME");
        // $HOME before user.home: the JVM reads user.home from the password database, so a shell that
        // sets HOME (a CI job, a sandboxed user) would otherwise be ignored.
        String home = env.get("HOME");
        Path cacheRoot = xdg != null && !xdg.isBlank()
                ? Path.of(xdg)
                : Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"), ".cache");
        String registry = env.getOrDefault("TOKENLEDGER_NPM_REGISTRY", DEFAULT_REGISTRY);
        if (registry.isBlank()) {
            registry = DEFAULT_REGISTRY;
        }
        return new ChdbLibrary(
                lib == null || lib.isBlank() ? null : Path.of(lib),
                cacheRoot.resolve("tokenledger").resolve("chdb").resolve(VERSION),
                URI.create(registry.replaceAll("/+$", "") + TARBALL_PATH),
                INTEGRITY,
                Download.Timeouts.DEFAULT,
                System.err);
    }

    @SuppressWarnings("try") // the FileLock is held for the block's duration, never referenced
    Path resolve() {
        if (override != null) {
            if (!Files.isRegularFile(override)) {
                throw new IllegalStateException("TOKENLEDGER_CHDB_LIB is " + override + ", which is not a file");
            }
            return override;
        }
        Path target = cacheDir.resolve(LIBRARY_FILE);
        if (Files.isRegularFile(target)) {
            return target;
        }
        try {
            Files.createDirectories(cacheDir);
            // FileChannel.lock is per process; threads of this JVM queue on the class monitor first.
            synchronized (ChdbLibrary.class) {
                try (FileChannel lockFile = FileChannel.open(cacheDir.resolve(LIBRARY_FILE + ".lock"),
                        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     FileLock ignored = lockFile.lock()) {
                    if (!Files.isRegularFile(target)) { // another JVM may have fetched it while we waited
                        fetchInto(target);
                    }
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the chDB cache at " + cacheDir + ": " + e.getMessage(), e);
        }
    }

    private void fetchInto(Path target) throws IOException {
        long started = System.nanoTime();
        Path archive = Files.createTempFile(cacheDir, "chdb-", ".tgz.part");
        Path extracted = Files.createTempFile(cacheDir, "libchdb-", ".so.part");
        try {
            String label = "fetching chDB " + VERSION.replaceFirst("-.*", "");
            new Download(tarball, integrity, timeouts, progress, label).to(archive);
            extractLibrary(archive, extracted);
            Files.setPosixFilePermissions(extracted, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(extracted, target, StandardCopyOption.ATOMIC_MOVE);
            log.info("fetched chDB {} from {} in {} ms into {}", VERSION, tarball,
                    Duration.ofNanos(System.nanoTime() - started).toMillis(), target);
        } finally {
            Files.deleteIfExists(archive);
            Files.deleteIfExists(extracted);
        }
    }

    private void extractLibrary(Path archive, Path destination) throws IOException {
        try (InputStream file = Files.newInputStream(archive);
             TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(file))) {
            for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                if (entry.isFile() && entry.getName().equals(LIBRARY_ENTRY)) {
                    Files.copy(tar, destination, StandardCopyOption.REPLACE_EXISTING);
                    return;
                }
            }
        }
        throw new IllegalStateException("the chDB package from " + tarball + " holds no " + LIBRARY_ENTRY);
    }
}
