package dev.tokenledger.orchestrator.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CI's proof that {@code tokenledger bench} works: {@code bench --quick --scenario pricing} end to end, in a
 * JVM of its own (chDB allows one data path per process, and the command reads its configuration from the
 * environment), on a fresh home. Timings are never asserted, only that every figure is there (the per-event ones
 * from JMH, in forked JVMs of the same class path).
 */
class BenchCommandTest {

    @Test
    void aQuickPricingBenchRunsToTheEndAndWritesEveryFigureWithTheMachineAndTheCommit(@TempDir Path home)
            throws IOException, InterruptedException {
        Path json = home.resolve("bench.json");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xss4m", "-cp", System.getProperty("java.class.path"),
                "dev.tokenledger.orchestrator.Main", "bench", "--quick", "--scenario", "pricing", "--json",
                json.toString()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(home.resolve("bench.log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("TOKENLEDGER_"));
        pb.environment().put("TOKENLEDGER_HOME", home.resolve("data").toString());
        Process p = pb.start();
        boolean done = p.waitFor(5, TimeUnit.MINUTES);
        String log = Files.readString(home.resolve("bench.log"), StandardCharsets.UTF_8);
        if (!done) {
            p.destroyForcibly();
        }
        assertThat(done).as("bench finished within 5 minutes:\n%s", log).isTrue();
        assertThat(p.exitValue()).as("exit code; output:\n%s", log).isZero();
        assertThat(log).contains("pricing").contains("price lookup");

        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        assertThat(doc.path("quick").asBoolean()).isTrue();
        assertThat(doc.path("machine").path("cores").asInt()).isPositive();
        assertThat(doc.path("machine").path("memory_bytes").asLong()).isPositive();
        assertThat(doc.path("machine").path("jdk").asText()).isNotBlank();
        assertThat(doc.path("machine").path("postgresql").path("version").asText()).isNotBlank();
        assertThat(doc.path("machine").path("clickhouse").path("version").asText()).isNotBlank();
        assertThat(doc.path("git").path("commit").asText()).isNotBlank();
        JsonNode pricing = doc.path("scenarios").get(0);
        assertThat(pricing.path("name").asText()).isEqualTo("pricing");
        assertThat(pricing.path("status").asText()).isEqualTo("ok");
        List<String> keys = new ArrayList<>();
        pricing.path("figures").forEach(f -> {
            keys.add(f.path("key").asText());
            assertThat(f.path("value").asDouble()).as(f.path("key").asText()).isPositive();
        });
        assertThat(keys).contains("refresh_ms", "lookup_ns", "full_cost_ns");
        for (String jmh : List.of("lookup", "full_cost")) { // JMH's figures (PricingBenchmarks), never their values
            JsonNode m = pricing.path("details").path(jmh);
            assertThat(m.path("harness").asText()).as(jmh).startsWith("JMH ");
            assertThat(m.path("ns_per_op").asDouble()).as(jmh).isPositive();
            assertThat(m.path("ns_per_op_best").asDouble()).as(jmh).isPositive()
                    .isLessThanOrEqualTo(m.path("ns_per_op_worst").asDouble());
            assertThat(m.path("bytes_per_op").isNumber()).as(jmh + " bytes_per_op (JMH's GC profiler)").isTrue();
        }
        assertThat(pricing.path("figures").get(0).path("ratio_vs_baseline").asDouble()).isPositive();
        assertThat(Files.list(home.resolve("data").resolve("bench")).toList())
                .as("the run's files are cleaned up, chDB's empty data path aside")
                .allSatisfy(run -> assertThat(run.resolve("postgres")).doesNotExist());
    }
}
