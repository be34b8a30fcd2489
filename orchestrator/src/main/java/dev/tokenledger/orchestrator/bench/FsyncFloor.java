package dev.tokenledger.orchestrator.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The floor under any durable write on this machine: how long the file system takes to write 8 KiB and
 * {@code fdatasync} it, on the file system that holds PostgreSQL's WAL (a temporary file beside it). A
 * commit cannot be faster than its WAL flush.
 */
final class FsyncFloor {
    private FsyncFloor() {
    }

    static Latencies measure(Path directory, int samples) throws IOException {
        Files.createDirectories(directory);
        Path file = Files.createTempFile(directory, "fsync-floor", ".bin");
        Latencies out = new Latencies();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer block = ByteBuffer.allocate(8192);
            for (int i = 0; i < samples; i++) {
                block.clear();
                long t0 = System.nanoTime();
                ch.write(block, (i % 64) * 8192L);
                ch.force(false);
                out.record(System.nanoTime() - t0);
            }
        } finally {
            Files.deleteIfExists(file);
        }
        return out;
    }
}
