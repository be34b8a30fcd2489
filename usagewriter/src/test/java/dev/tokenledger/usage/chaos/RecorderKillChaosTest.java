package dev.tokenledger.usage.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.usage.TestPipeline;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.Test;

/**
 * Scenario "recorder-kill": the process calling {@code record()} ({@link RecorderProcess}) is killed with
 * SIGKILL mid-stream, again and again; each new process first sends again the calls the previous one had
 * in flight (same ids), as a client retries. Every call that returned success must be written once;
 * nothing that failed or was cut off may appear twice.
 */
@Execution(ExecutionMode.CONCURRENT)
@Tag(Chaos.TAG)
@Tag("chaos-recorder-kill")
class RecorderKillChaosTest {
    private static final String STREAM = "recorder-kill-" + UUID.randomUUID();
    private static final int PER_CALL = 20;

    @Test
    void everyCallThatReturnedSuccessIsWrittenOnceWhenTheRecordingProcessIsKilledMidStream() throws IOException {
        int kills = Chaos.pick(3, 20);
        Duration maxGap = Chaos.pick(Duration.ofMillis(1_500), Duration.ofMillis(4_000));
        Random random = Chaos.random("recorder-kill");
        Path journals = Files.createDirectories(Path.of("target", "chaos", "recorder-kill-" + System.currentTimeMillis()));
        try (PostgresDatabase postgres = TestPostgres.freshDatabase("chaos_recorder_kill");
             ClickHouse clickHouse = TestClickHouse.embedded("chaos_recorder_kill")) {
            TestPipeline pipeline = TestPipeline.start(postgres, clickHouse);
            try {
                Journal journal = new Journal();
                long lastKill = 0;
                for (int generation = 0; generation <= kills; generation++) {
                    boolean last = generation == kills;
                    Path file = journals.resolve("journal-" + generation + ".txt");
                    ChildJvm recorder = ChildJvm.start("recorder-kill-recorder-" + generation, RecorderProcess.class,
                            List.of("-Xmx256m"), List.of(postgres.jdbcUrl(), file.toString(), STREAM,
                                    Long.toString(journal.nextIndex()), "4", Integer.toString(PER_CALL),
                                    journal.unfinishedArgument(), last ? "resend" : "run"),
                            Duration.ofSeconds(60));
                    if (last) {
                        recorder.awaitExit(Duration.ofMinutes(2));
                    } else {
                        // Mid-stream: once calls are being answered (a fresh JVM takes a while for its first),
                        // at a random moment.
                        awaitFirstAnswer(file, Duration.ofSeconds(30));
                        Chaos.sleep(Chaos.between(random, Duration.ZERO, maxGap));
                        recorder.kill();
                        lastKill = System.nanoTime();
                    }
                    journal.read(file);
                }
                assertThat(journal.unfinished()).as("calls still unanswered after the last resend").isEmpty();

                LedgerAudit audit = new LedgerAudit(postgres.dataSource(), clickHouse);
                audit.awaitDrained(Duration.ofMinutes(3));
                Duration recovered = Duration.ofNanos(System.nanoTime() - lastKill);
                LedgerAudit.Result result = audit.audit(journal.acknowledged);
                System.out.println("[chaos] recorder-kill: " + result.summary() + "; calls cut off by a kill "
                        + journal.cutOff + ", of their events found already durable on resend " + journal.resentDuplicates);
                ChaosReport.of("recorder kill", "4 threads × " + PER_CALL + " events per record() call, no pause",
                        kills + "× SIGKILL of the recording JVM mid-stream (0–" + maxGap.toMillis() / 1000.0
                                + " s after its first answered call), in-flight calls re-sent by the next process",
                        result, recovered, journal.cutOff + " calls cut off mid-record() and " + journal.failed
                                + " that threw were re-sent; " + journal.resentDuplicates + " of their events were"
                                + " already durable (DUPLICATE on resend)").publish();
                result.assertExactlyOnce();
            } finally {
                pipeline.close();
            }
        }
    }

    private static void awaitFirstAnswer(Path journal, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (Files.exists(journal) && Files.readString(journal).contains("\nD ")) {
                    return;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Chaos.sleep(Duration.ofMillis(50));
        }
        throw new AssertionError("the recording process answered no call within " + timeout);
    }

    /** The callers' side, read from the journals the recorder processes left behind. */
    static final class Journal {
        final Set<UUID> acknowledged = new HashSet<>();
        private final Map<Long, Integer> unfinished = new LinkedHashMap<>();
        private long next;
        long failed;
        long cutOff;
        long resentDuplicates;

        long nextIndex() {
            return next;
        }

        Map<Long, Integer> unfinished() {
            return unfinished;
        }

        String unfinishedArgument() {
            return unfinished.isEmpty() ? "-" : unfinished.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue())
                    .collect(Collectors.joining(","));
        }

        void read(Path file) {
            List<String> lines;
            try {
                lines = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Map<Long, Integer> open = new LinkedHashMap<>();
            Set<Long> failedHere = new HashSet<>();
            boolean resending = !unfinished.isEmpty();
            Map<Long, Integer> toResend = new LinkedHashMap<>(unfinished);
            for (String line : lines) {
                String[] p = line.split(" ");
                if (p.length < 3) {
                    continue; // every line is written by one write(); this guards against a torn last one
                }
                switch (p[0]) {
                    case "S" -> {
                        long first = Long.parseLong(p[1]);
                        open.put(first, Integer.parseInt(p[2]));
                        next = Math.max(next, first + Integer.parseInt(p[2]));
                    }
                    case "A" -> {
                        acknowledged.add(UUID.fromString(p[1]));
                        if (resending && p[2].equals("DUPLICATE")) {
                            resentDuplicates++;
                        }
                    }
                    case "D" -> {
                        long first = Long.parseLong(p[1]);
                        open.remove(first);
                        toResend.remove(first);
                    }
                    case "F" -> { // stays open: the next process sends it again
                        failed++;
                        failedHere.add(Long.parseLong(p[1]));
                    }
                    default -> throw new IllegalStateException("unreadable journal line in " + file + ": " + line);
                }
            }
            // Blocks cut off in this process, plus any of the earlier ones it did not get to send again.
            unfinished.clear();
            unfinished.putAll(toResend);
            open.forEach((first, count) -> {
                if (!toResend.containsKey(first) && !failedHere.contains(first)) {
                    cutOff++;
                }
                unfinished.put(first, count);
            });
        }
    }
}
