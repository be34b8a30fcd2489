package dev.tokenledger.usage.chaos;

import dev.tokenledger.usage.TestWiring;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.PostgresSettings;
import dev.tokenledger.usage.RecordFailedException;
import dev.tokenledger.usage.RecordResult;
import dev.tokenledger.usage.RecorderSettings;
import dev.tokenledger.usage.UsageEvent;
import dev.tokenledger.usage.UsageRecorder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An orchestrator process calling {@code record()} as fast as it can from several threads, for the
 * "recorder-kill" scenario, which kills it with SIGKILL mid-stream. Events come from a numbered stream
 * ({@link ChaosEvents#numbered}), so a block can be sent again with the same ids, as a client retries.
 *
 * <p>Its journal is the caller's side of the truth. Each line is written with one {@code write} call on a
 * file opened for append, so it reaches the file (the OS) before the next step; a process kill cannot
 * undo it: {@code S first count} before a call; after the call returned, {@code A <event id>} for every
 * event it acknowledged (ACCEPTED or DUPLICATE) then {@code D first count}; {@code F first count} when it
 * threw.
 *
 * <p>Arguments: PostgreSQL JDBC URL, journal path, stream name, first new index, threads, events per call,
 * blocks to send again first ({@code first:count,...} or {@code -}), and {@code run} (until killed) or
 * {@code resend} (send those blocks, print DONE, exit).
 */
public final class RecorderProcess {
    private RecorderProcess() {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        Path journalPath = Path.of(args[1]);
        String stream = args[2];
        AtomicLong next = new AtomicLong(Long.parseLong(args[3]));
        int threads = Integer.parseInt(args[4]);
        int perCall = Integer.parseInt(args[5]);
        List<long[]> resend = new ArrayList<>();
        if (!args[6].equals("-")) {
            for (String b : args[6].split(",")) {
                String[] p = b.split(":");
                resend.add(new long[] {Long.parseLong(p[0]), Long.parseLong(p[1])});
            }
        }
        boolean runUntilKilled = args[7].equals("run");

        PostgresDatabase postgres = PostgresDatabase.open(PostgresSettings.server(url, "postgres", null));
        UsageRecorder recorder = TestWiring.recorder(postgres.dataSource(), RecorderSettings.DEFAULTS);
        try (FileChannel journal = FileChannel.open(journalPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            System.out.println("READY");
            System.out.flush();
            for (long[] block : resend) {
                // A client retries a call it never heard back from until it gets an answer.
                for (int attempt = 1; !send(recorder, journal, stream, block[0], (int) block[1]); attempt++) {
                    if (attempt == 30) {
                        throw new IllegalStateException("block " + block[0] + " still fails after 30 attempts");
                    }
                    Thread.sleep(1_000);
                }
            }
            if (!runUntilKilled) {
                System.out.println("DONE");
                System.out.flush();
                System.exit(0);
            }
            List<Thread> callers = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                callers.add(Thread.ofPlatform().start(() -> {
                    while (true) {
                        send(recorder, journal, stream, next.getAndAdd(perCall), perCall);
                    }
                }));
            }
            for (Thread t : callers) {
                t.join();
            }
        }
    }

    /** One record() call for events [first, first + count) of the stream; false if it threw. */
    private static boolean send(UsageRecorder recorder, FileChannel journal, String stream, long first, int count) {
        List<UsageEvent> events = new ArrayList<>(count);
        for (long i = first; i < first + count; i++) {
            events.add(ChaosEvents.numbered(stream, i));
        }
        long started = System.nanoTime();
        append(journal, "S " + first + " " + count + " " + millis(0) + "\n");
        List<RecordResult> results;
        try {
            results = recorder.record(events);
        } catch (RecordFailedException e) {
            append(journal, "F " + first + " " + count + " " + millis(started) + " " + e.getMessage().replace('\n', ' ')
                    + "\n");
            return false;
        }
        // Only now, after record() returned: the caller's acknowledgement, flushed before anything else.
        StringBuilder acks = new StringBuilder(count * 40);
        for (RecordResult r : results) {
            if (r.status() == RecordResult.Status.REJECTED) {
                throw new IllegalStateException("a valid event was rejected: " + r);
            }
            acks.append("A ").append(r.eventId()).append(' ').append(r.status()).append('\n');
        }
        acks.append("D ").append(first).append(' ').append(count).append(' ').append(millis(started)).append('\n');
        append(journal, acks.toString());
        return true;
    }

    private static final long BOOT = System.nanoTime();

    /** Milliseconds since {@code since} (0: since the process started), for reading a journal afterwards. */
    private static long millis(long since) {
        return (System.nanoTime() - (since == 0 ? BOOT : since)) / 1_000_000;
    }

    private static void append(FileChannel journal, String text) {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        try {
            synchronized (journal) {
                while (bytes.hasRemaining()) {
                    journal.write(bytes);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
