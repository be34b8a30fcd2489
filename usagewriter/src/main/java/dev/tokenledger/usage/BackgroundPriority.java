package dev.tokenledger.usage;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the embedded ClickHouse engine's threads at a lower OS priority (a higher nice value) than the JVM's, so that
 * on a machine with few cores a commit, which a durable {@code record()} waits for, is scheduled before chDB's insert
 * pipeline and its merges (most of the writer's CPU). Linux keeps a nice value per thread, and any process may raise
 * the nice value of its own threads (lowering it again needs privileges), so a thread is only ever lowered for good:
 * the threads chDB names as its own (the threads it starts later from those inherit the value).
 *
 * <p>Java threads are left alone: lowering the sealer and the {@code usage_write} workers too was measured to make
 * {@code record()} slower, not faster (BENCHMARKS.md). The likely reason: every Java thread must reach the JVM's
 * safepoints and handshakes, so one that the scheduler holds back holds back all of them, the commit threads
 * included; chDB's native threads never take part in those. Elsewhere than on Linux, or with {@code nice} 0, it does
 * nothing.
 */
final class BackgroundPriority {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundPriority.class);
    private static final int PRIO_PROCESS = 0;
    /** The names chDB (ClickHouse) gives its threads: its thread pools, background schedulers, merges and moves. */
    static final Set<String> ENGINE_THREADS = Set.of("ThreadPool", "MergeMutate", "BgSchPool", "BgStrmSchPool",
            "BgMBSchPool", "BgDistSchPool", "BgBufSchPool", "Move", "Fetch", "Common", "PoolDelayExec",
            "QueryPipelineEx");

    private final int nice;
    private final MethodHandle setpriority;

    private BackgroundPriority(int nice, MethodHandle setpriority) {
        this.nice = nice;
        this.setpriority = setpriority;
    }

    /** Lowers to {@code nice} (0 = leave every thread as it is; 1..19, higher is lower). */
    static BackgroundPriority of(int nice) {
        if (nice == 0) {
            return new BackgroundPriority(0, null);
        }
        Linker linker = Linker.nativeLinker();
        Optional<MethodHandle> set = linker.defaultLookup().find("setpriority").map(a -> linker.downcallHandle(a,
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT)));
        if (set.isEmpty() || !Files.isDirectory(Path.of("/proc/self/task"))) {
            LOG.info("the embedded ClickHouse runs at the recorder's priority: no per-thread nice value on this system");
            return new BackgroundPriority(0, null);
        }
        return new BackgroundPriority(nice, set.get());
    }

    /** Lowers every thread of the embedded ClickHouse engine running in this process now. */
    void lowerEngineThreads() {
        if (nice == 0) {
            return;
        }
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String comm;
                try {
                    comm = Files.readString(task.resolve("comm"), StandardCharsets.UTF_8).strip();
                } catch (IOException e) {
                    continue; // the thread ended meanwhile
                }
                if (ENGINE_THREADS.contains(comm)) {
                    lower(Integer.parseInt(task.getFileName().toString()));
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot list this process's threads", e);
        }
    }

    private void lower(int tid) {
        try {
            int rc = (int) setpriority.invokeExact(PRIO_PROCESS, tid, nice);
            if (rc != 0) {
                LOG.debug("cannot lower the priority of thread {} (it may have ended)", tid);
            }
        } catch (Throwable e) {
            LOG.debug("cannot lower the priority of thread {}", tid, e);
        }
    }
}
