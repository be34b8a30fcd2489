package dev.tokenledger.orchestrator.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The machine and code a run measured: cores, memory, JDK, database versions, git commit. */
final class MachineInfo {
    private MachineInfo() {
    }

    static Map<String, Object> describe(String postgresVersion, String postgresKind, String clickHouseVersion,
                                        String clickHouseKind) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("memory_bytes", totalMemory());
        m.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.put("cpu", cpuModel());
        m.put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                + Runtime.version());
        m.put("jvm_args", ManagementFactory.getRuntimeMXBean().getInputArguments());
        m.put("postgresql", Map.of("version", postgresVersion, "kind", postgresKind));
        m.put("clickhouse", Map.of("version", clickHouseVersion, "kind", clickHouseKind));
        return m;
    }

    /** The 1, 5 and 15 minute load averages (how busy the machine was besides us), or null off Linux. */
    static java.util.List<Double> loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return java.util.List.of(Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static long totalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return -1;
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: leave it out
        }
        return "unknown";
    }

    /**
     * The git commit of the code that runs: asked of the repository holding the running jar (the launcher
     * builds it in {@code orchestrator/target}), else of the working directory. {@code dirty} when the
     * working tree has uncommitted changes.
     */
    static Map<String, Object> git() {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Path> candidates = new ArrayList<>();
        try {
            Path jar = Path.of(MachineInfo.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            candidates.add(jar.getParent());
        } catch (Exception ignored) {
            // unknown location
        }
        candidates.add(Path.of("").toAbsolutePath());
        for (Path dir : candidates) {
            String commit = run(dir, "git", "rev-parse", "HEAD");
            if (commit != null && commit.matches("[0-9a-f]{40}")) {
                m.put("commit", commit);
                String status = run(dir, "git", "status", "--porcelain", "--untracked-files=no");
                m.put("dirty", status != null && !status.isBlank());
                String branch = run(dir, "git", "rev-parse", "--abbrev-ref", "HEAD");
                if (branch != null) {
                    m.put("branch", branch);
                }
                return m;
            }
        }
        m.put("commit", "unknown");
        return m;
    }

    private static String run(Path dir, String... command) {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            return new String(out, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
