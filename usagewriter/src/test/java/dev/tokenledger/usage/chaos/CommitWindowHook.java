package dev.tokenledger.usage.chaos;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Row;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Kills a ClickHouse server process inside a table's commit window: after the insert's token reached the table's
 * deduplication log, before its part was committed (a plain MergeTree does these in that order). ClickHouse has no
 * fail point there, so the hook is an LD_PRELOAD library (test resource {@code chaos/commit_window_kill.c}, built
 * with the machine's gcc) that wraps {@code rename(2)}: armed with a table's data directory, the process SIGKILLs
 * itself when it renames a temporary insert part of that table to its final name. The kill is real; only its
 * moment is chosen.
 */
final class CommitWindowHook {
    private final Path library;
    private final Path armFile;

    private CommitWindowHook(Path library, Path armFile) {
        this.library = library;
        this.armFile = armFile;
    }

    /** Builds the hook under {@code dir}; skips the calling test, saying why, where gcc is missing. */
    static CommitWindowHook build(Path dir) {
        try {
            Files.createDirectories(dir);
            Path source = dir.resolve("commit_window_kill.c");
            try (InputStream in = CommitWindowHook.class.getResourceAsStream("/chaos/commit_window_kill.c")) {
                Files.write(source, in.readAllBytes());
            }
            Path library = dir.resolve("commit_window_kill.so").toAbsolutePath();
            Process gcc;
            try {
                gcc = new ProcessBuilder("gcc", "-shared", "-fPIC", "-O2", "-o", library.toString(), source.toString(),
                        "-ldl").redirectErrorStream(true).start();
            } catch (IOException e) {
                Assumptions.abort("the rollup-crash hook needs gcc to build its LD_PRELOAD library, and gcc is not"
                        + " installed here (" + e.getMessage() + ")");
                throw new AssertionError(e);
            }
            String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!gcc.waitFor(60, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
                throw new IllegalStateException("gcc could not build the commit-window hook: " + output);
            }
            return new CommitWindowHook(library, dir.resolve("armed").toAbsolutePath());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The environment a ClickHouse server process needs for the hook. */
    Map<String, String> environment() {
        return Map.of("LD_PRELOAD", library.toString(), "TOKENLEDGER_COMMIT_KILL_FILE", armFile.toString());
    }

    /** The data directory of {@code table} in {@code clickHouse}'s database, as the server renames parts in it. */
    static String dataDirectory(ClickHouse clickHouse, String table) {
        List<Row> rows = clickHouse.query("SELECT arrayJoin(data_paths) AS path FROM system.tables"
                + " WHERE database = currentDatabase() AND name = {table:String}", Map.of("table", table));
        if (rows.isEmpty()) {
            throw new IllegalStateException("no data directory for table " + table);
        }
        return rows.getFirst().string("path");
    }

    /** The next commit of a part of the table whose data directory is {@code tableDirectory} kills the server. */
    void arm(String tableDirectory) {
        try {
            Files.writeString(armFile, tableDirectory + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the last arming has not fired yet. */
    boolean armed() {
        return Files.exists(armFile);
    }

    void disarm() {
        try {
            Files.deleteIfExists(armFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
