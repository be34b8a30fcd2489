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
 * Runs the writer's work at a lower OS priority (a higher nice value) than the recorder's commit threads, so that on
 * a machine with few cores a commit, which a durable {@code record()} waits for, is scheduled before a batch's
 * encoding, its chDB insert and chDB's merges. Linux keeps a nice value per thread, and any process may raise the
 * nice value of its own threads (lowering it again needs privileges), so a thread is only ever lowered for good:
 * the writer's own threads (the sealer, tokenledger's own JobRunr workers) and the threads of the embedded
 * ClickHouse engine (chDB names them; the threads it starts later from those inherit the value). Elsewhere than on
 * Linux, or with {@code nice} 0, it does nothing.
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
    private final MethodHandle gettid;

    private BackgroundPriority(int nice, MethodHandle setpriority, MethodHandle gettid) {
        this.nice = nice;
        this.setpriority = setpriority;
        this.gettid = gettid;
    }

    /** Lowers to {@code nice} (0 = leave every thread as it is; 1..19, higher is lower). */
    static BackgroundPriority of(int nice) {
        if (nice == 0) {
            return new BackgroundPriority(0, null, null);
        }
        Linker linker = Linker.nativeLinker();
        Optional<MethodHandle> set = linker.defaultLookup().find("setpriority").map(a -> linker.downcallHandle(a,
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT)));
        Optional<MethodHandle> tid = linker.defaultLookup().find("gettid").map(a -> linker.downcallHandle(a,
                FunctionDescriptor.of(ValueLayout.JAVA_INT)));
        if (set.isEmpty() || tid.isEmpty() || !Files.isDirectory(Path.of("/proc/self/task"))) {
            LOG.info("the writer runs at the recorder's priority: no per-thread nice value on this system");
            return new BackgroundPriority(0, null, null);
        }
        return new BackgroundPriority(nice, set.get(), tid.get());
    }

    int nice() {
        return nice;
    }

    /** Lowers the calling (platform) thread. */
    void lowerCurrentThread() {
        if (nice == 0) {
            return;
        }
        try {
            lower((int) gettid.invokeExact());
        } catch (Throwable e) {
            LOG.debug("cannot read the thread id", e);
        }
    }

    /** Lowers every thread of the embedded ClickHouse engine running in this process now; returns how many. */
    int lowerEngineThreads() {
        if (nice == 0) {
            return 0;
        }
        int lowered = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String comm;
                try {
                    comm = Files.readString(task.resolve("comm"), StandardCharsets.UTF_8).strip();
                } catch (IOException e) {
                    continue; // the thread ended meanwhile
                }
                if (ENGINE_THREADS.contains(comm) && lower(Integer.parseInt(task.getFileName().toString()))) {
                    lowered++;
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot list this process's threads", e);
        }
        return lowered;
    }

    private boolean lower(int tid) {
        try {
            int rc = (int) setpriority.invokeExact(PRIO_PROCESS, tid, nice);
            return rc == 0;
        } catch (Throwable e) {
            LOG.debug("cannot lower the priority of thread {}", tid, e);
            return false;
        }
    }
}
