package dev.tokenledger.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command, run through the real launcher on a clean home, twice. */
class LauncherIT {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @Test
    void demoRunsOnACleanHomeAndASecondRunKeepsTheDataOfTheFirst(@TempDir Path home) throws Exception {
        Result first = demo(home, 300);
        assertThat(first.exit()).as(first.output()).isZero();
        assertThat(first.output())
                .contains("recording", "writing", "reconcile (PostgreSQL vs llm_usage vs llm_usage_daily, 31 days): clean")
                .contains("Cost by model", "Cost by user", "Cost by workspace", "Cost by agent", "Cost by day")
                .contains("gpt-4o", "claude-sonnet-4-5", "acme-internal-llm-v2", "unpriced")
                .contains("JobRunr dashboard");

        Result second = demo(home, 200);
        assertThat(second.exit()).as(second.output()).isZero();
        assertThat(second.output()).contains("found 300 events from earlier runs").contains("total: 500 calls");
    }

    @Test
    void everySubcommandExplainsItselfWithHelp(@TempDir Path home) throws Exception {
        for (String command : List.of("demo", "serve", "report", "pricing", "reconcile", "dead-letters", "installation",
                "requeue-failed", "migrate", "health")) {
            Result r = run(home, List.of(command, "--help"));
            assertThat(r.exit()).as(command + ": " + r.output()).isZero();
            assertThat(r.output()).as(command).contains("Usage: tokenledger " + command);
        }
    }

    private record Result(int exit, String output) {
    }

    private static Result demo(Path home, int events) throws Exception {
        return run(home, List.of("demo", "--events", Integer.toString(events), "--no-keep-running"));
    }

    private static Result run(Path home, List<String> args) throws Exception {
        Path log = Files.createTempFile("launcher", ".log");
        ProcessBuilder pb = new ProcessBuilder();
        pb.command().add(REPO.resolve("tokenledger").toString());
        pb.command().addAll(args);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("TOKENLEDGER_"));
        env.put("TOKENLEDGER_HOME", home.resolve("tokenledger").toString());
        int[] ports = twoFreePorts();
        env.put("TOKENLEDGER_HTTP_PORT", Integer.toString(ports[0]));
        env.put("TOKENLEDGER_DASHBOARD_PORT", Integer.toString(ports[1]));
        Process p = pb.directory(REPO.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean finished = p.waitFor(5, TimeUnit.MINUTES);
        if (!finished) {
            p.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        return new Result(finished ? p.exitValue() : -1, output);
    }

    /**
     * Two distinct free ports below Linux's ephemeral range (32768+). A port from {@code new ServerSocket(0)}
     * is free again once closed, and the demo's embedded PostgreSQL, started before the API binds, takes its
     * own port the same way: once it took the API's and the demo failed with "Address already in use".
     */
    private static int[] twoFreePorts() throws IOException {
        java.util.Random random = new java.util.Random();
        int[] ports = new int[2];
        for (int found = 0; found < 2; ) {
            int candidate = 20_000 + random.nextInt(12_000);
            if (found == 1 && candidate == ports[0]) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(candidate)) {
                ports[found++] = s.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        return ports;
    }
}
