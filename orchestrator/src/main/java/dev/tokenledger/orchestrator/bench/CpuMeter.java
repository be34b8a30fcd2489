package dev.tokenledger.orchestrator.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * CPU time spent by this JVM (which includes chDB's threads: the engine runs in-process) and by the
 * embedded PostgreSQL (the postmaster, its live backends, and the children it has reaped). Divided by
 * the events handled, it gives CPU per event: a figure the noise of a shared machine barely moves, and
 * the one that says what a core can carry.
 */
final class CpuMeter {
    private static final long TICK_NANOS = 10_000_000L; // USER_HZ = 100 on Linux

    private final Long postmasterPid;

    /** @param postgresDataDir the embedded server's data directory, or null for a server we cannot see */
    CpuMeter(Path postgresDataDir) {
        this.postmasterPid = postgresDataDir == null ? null : postmaster(postgresDataDir);
    }

    record Sample(long nanoTime, long javaCpuNanos, long postgresCpuNanos) {
        Sample minus(Sample earlier) {
            return new Sample(nanoTime - earlier.nanoTime, javaCpuNanos - earlier.javaCpuNanos,
                    postgresCpuNanos < 0 || earlier.postgresCpuNanos < 0 ? -1
                            : postgresCpuNanos - earlier.postgresCpuNanos);
        }
    }

    Sample sample() {
        long java = -1;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            java = os.getProcessCpuTime();
        }
        return new Sample(System.nanoTime(), java, postgresCpu());
    }

    boolean seesPostgres() {
        return postmasterPid != null;
    }

    private long postgresCpu() {
        if (postmasterPid == null) {
            return -1;
        }
        Optional<ProcessHandle> pm = ProcessHandle.of(postmasterPid);
        if (pm.isEmpty()) {
            return -1;
        }
        long ticks = ticks(postmasterPid, true);
        for (ProcessHandle child : pm.get().children().toList()) {
            ticks += ticks(child.pid(), false);
        }
        return ticks * TICK_NANOS;
    }

    /** utime + stime (+ cutime + cstime of reaped children) from /proc/PID/stat. */
    private static long ticks(long pid, boolean withReapedChildren) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // fields after "(comm)": state(0) ... utime(11) stime(12) cutime(13) cstime(14)
            long t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            if (withReapedChildren) {
                t += Long.parseLong(f[13]) + Long.parseLong(f[14]);
            }
            return t;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * CPU ticks of this JVM's threads by name (digits folded: {@code usage-commit-N}), native ones
     * included: chDB's pools, the GC, the JIT compilers. Linux only; empty elsewhere.
     */
    static java.util.Map<String, Long> threadTicks() {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("\\d+", "N");
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    out.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            return java.util.Map.of();
        }
        return out;
    }

    /** The share of JVM CPU per thread name between two {@link #threadTicks()} snapshots, largest first. */
    static java.util.Map<String, Object> threadShares(java.util.Map<String, Long> before, java.util.Map<String, Long> after) {
        java.util.Map<String, Long> delta = new java.util.HashMap<>();
        after.forEach((k, v) -> delta.put(k, v - before.getOrDefault(k, 0L)));
        long total = delta.values().stream().mapToLong(Long::longValue).filter(v -> v > 0).sum();
        java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
        delta.entrySet().stream().filter(e -> e.getValue() > 0).sorted(java.util.Map.Entry.<String, Long>comparingByValue()
                .reversed()).limit(25).forEach(e -> out.put(e.getKey(), Latencies.round(100.0 * e.getValue() / Math.max(1, total))));
        return out;
    }

    private static Long postmaster(Path dataDir) {
        try {
            Path pidFile = dataDir.resolve("postmaster.pid");
            if (!Files.isRegularFile(pidFile) || !Files.isReadable(Path.of("/proc/self/stat"))) {
                return null;
            }
            return Long.parseLong(Files.readAllLines(pidFile).getFirst().trim());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
