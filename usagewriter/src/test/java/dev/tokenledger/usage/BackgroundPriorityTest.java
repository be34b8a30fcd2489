package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The embedded engine's threads at a lower OS priority; the threads lowered are the test's own, lowered for good. */
class BackgroundPriorityTest {
    @BeforeEach
    void linux() {
        assumeTrue(Files.isRegularFile(Path.of("/proc/thread-self/stat")),
                "per-thread nice values are read from Linux's /proc/thread-self/stat: not on this system");
    }

    @Test
    void threadsNamedAsTheEmbeddedEnginesAreLoweredAndOthersAreNot() throws InterruptedException {
        int[] nice = niceAfterASweep(5);

        assertThat(nice[0]).isEqualTo(5);
        assertThat(nice[1]).isZero();
    }

    @Test
    void niceZeroLeavesEveryThreadAlone() throws InterruptedException {
        int[] nice = niceAfterASweep(0);

        assertThat(nice[0]).isZero();
        assertThat(nice[1]).isZero();
    }

    /** The nice values, after a sweep at {@code nice}, of a thread named as chDB's merge threads and of another. */
    private static int[] niceAfterASweep(int nice) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        CompletableFuture<Integer> engine = new CompletableFuture<>();
        CompletableFuture<Integer> other = new CompletableFuture<>();
        CountDownLatch started = new CountDownLatch(2);
        // A Java thread's name is its Linux thread name (comm): these two look like chDB's pool thread and ours.
        Thread a = Thread.ofPlatform().name("MergeMutate").start(() -> waitThenReport(started, done, engine));
        Thread b = Thread.ofPlatform().name("usage-commit-9").start(() -> waitThenReport(started, done, other));
        started.await();

        BackgroundPriority.of(nice).lowerEngineThreads();
        done.countDown();
        a.join();
        b.join();
        return new int[] {engine.join(), other.join()};
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
