package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.clickhouse.ClickHouse;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The memory of this process at one moment: its resident set (VmRSS from /proc/self/status: heap, the JVM's own
 * native memory, chDB and every mapped page it touched), the Java heap in use and committed, and what chDB's own
 * allocator tracks ({@code MemoryTracking}). Everything is in MiB; -1 where the system does not say.
 */
record MemoryUse(double rssMib, double peakRssMib, double heapUsedMib, double heapCommittedMib, double nonHeapMib,
                 double clickHouseTrackedMib) {
    private static final double MIB = 1 << 20;

    /** Measures now; {@code clickHouse} answers chDB's figure (null: not asked). */
    static MemoryUse now(ClickHouse clickHouse) {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        MemoryUsage nonHeap = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage();
        double tracked = -1;
        if (clickHouse != null) {
            try {
                tracked = clickHouse.query("SELECT toInt64(value) AS v FROM system.metrics WHERE metric = 'MemoryTracking'")
                        .getFirst().int64("v") / MIB;
            } catch (RuntimeException e) {
                tracked = -1; // a server's figure is not this process's memory anyway
            }
        }
        return new MemoryUse(status("VmRSS"), status("VmHWM"), heap.getUsed() / MIB, heap.getCommitted() / MIB,
                nonHeap.getUsed() / MIB, tracked);
    }

    /** A field of /proc/self/status in MiB (its values are in kB), -1 elsewhere than on Linux. */
    private static double status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").strip()) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rss_mib", Latencies.round(rssMib));
        m.put("peak_rss_mib", Latencies.round(peakRssMib));
        m.put("heap_used_mib", Latencies.round(heapUsedMib));
        m.put("heap_committed_mib", Latencies.round(heapCommittedMib));
        m.put("non_heap_mib", Latencies.round(nonHeapMib));
        m.put("clickhouse_tracked_mib", Latencies.round(clickHouseTrackedMib));
        return m;
    }
}
