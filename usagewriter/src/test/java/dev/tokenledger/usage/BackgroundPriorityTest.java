package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The writer's threads at a lower OS priority: each test runs in a thread of its own, lowered for good. */
class BackgroundPriorityTest {
    @BeforeEach
    void linux() {
        assumeTrue(Files.isRegularFile(Path.of("/proc/thread-self/stat")),
                "per-thread nice values are read from Linux's /proc/thread-self/stat: not on this system");
    }

    @Test
    void theCallingThreadIsLoweredToTheNiceValue() {
        int nice = inThread("usage-write-test", () -> {
            BackgroundPriority.of(7).lowerCurrentThread();
            return niceOfThisThread();
        });

        assertThat(nice).isEqualTo(7);
    }

    @Test
    void niceZeroLeavesTheThreadAlone() {
        int nice = inThread("usage-write-test", () -> {
            int before = niceOfThisThread();
            BackgroundPriority.of(0).lowerCurrentThread();
            return niceOfThisThread() - before;
        });

        assertThat(nice).isZero();
    }

    @Test
    void threadsNamedAsTheEmbeddedEnginesAreLoweredAndOthersAreNot() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        CompletableFuture<Integer> engine = new CompletableFuture<>();
        CompletableFuture<Integer> other = new CompletableFuture<>();
        CountDownLatch started = new CountDownLatch(2);
        // A Java thread's name is its Linux thread name (comm): these two look like chDB's pool thread and ours.
        Thread a = Thread.ofPlatform().name("MergeMutate").start(() -> waitThenReport(started, done, engine));
        Thread b = Thread.ofPlatform().name("usage-commit-9").start(() -> waitThenReport(started, done, other));
        started.await();

        int lowered = BackgroundPriority.of(5).lowerEngineThreads();
        done.countDown();
        a.join();
        b.join();

        assertThat(lowered).isPositive();
        assertThat(engine.join()).isEqualTo(5);
        assertThat(other.join()).isZero();
    }

    private static void waitThenReport(CountDownLatch started, CountDownLatch done, CompletableFuture<Integer> nice) {
        started.countDown();
        try {
            done.await();
            nice.complete(niceOfThisThread());
        } catch (InterruptedException e) {
            nice.completeExceptionally(e);
        }
    }

    private static <T> T inThread(String name, Supplier<T> body) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread.ofPlatform().name(name).start(() -> {
            try {
                result.complete(body.get());
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result.join();
    }

    /** Field 19 of /proc/thread-self/stat; the fields after the command name (in parentheses) start at 3. */
    private static int niceOfThisThread() {
        try {
            String stat = Files.readString(Path.of("/proc/thread-self/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(fields[19 - 3]);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
