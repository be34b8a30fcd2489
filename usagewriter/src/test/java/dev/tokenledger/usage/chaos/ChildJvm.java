package dev.tokenledger.usage.chaos;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A process of the system under test in a JVM of its own (a worker, a recorder, a ClickHouse server), on
 * this test's classpath, so the suite can kill it for real: {@link #kill()} is SIGKILL on Linux (no
 * shutdown hook, no finally block, no flush). Its output goes to {@code target/chaos/logs/<name>.log}.
 */
final class ChildJvm implements AutoCloseable {
    private static final Path LOGS = Path.of("target", "chaos", "logs");

    private final String name;
    private final Process process;
    private final String ready;

    private ChildJvm(String name, Process process, String ready) {
        this.name = name;
        this.process = process;
        this.ready = ready;
    }

    /**
     * Starts {@code main} with {@code args} and waits until it prints a line starting with {@code READY};
     * the rest of that line is {@link #ready()}.
     */
    static ChildJvm start(String name, Class<?> main, List<String> jvmArgs, List<String> args, Duration readyTimeout) {
        return start(name, main, jvmArgs, args, java.util.Map.of(), readyTimeout);
    }

    /** As {@link #start(String, Class, List, List, Duration)}, with extra environment variables for the child. */
    static ChildJvm start(String name, Class<?> main, List<String> jvmArgs, List<String> args,
                          java.util.Map<String, String> env, Duration readyTimeout) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-Xss4m");
        command.add("-XX:+UseSerialGC");
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("-Dorg.jooq.no-logo=true");
        command.add("-Dorg.jooq.no-tips=true");
        command.add(main.getName());
        command.addAll(args);
        Process process;
        Path log = LOGS.resolve(name + ".log");
        try {
            Files.createDirectories(LOGS);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().putAll(env);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
        CompletableFuture<String> readyLine = new CompletableFuture<>();
        Thread.ofPlatform().daemon(true).name("child-output-" + name).start(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
                 Writer w = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                         StandardOpenOption.APPEND)) {
                String line;
                while ((line = out.readLine()) != null) {
                    w.write(line);
                    w.write('\n');
                    w.flush();
                    if (!readyLine.isDone() && line.startsWith("READY")) {
                        readyLine.complete(line.substring("READY".length()).strip());
                    }
                }
            } catch (IOException ignored) {
                // the process was killed
            }
            readyLine.completeExceptionally(new IllegalStateException(name + " exited with "
                    + exitCode(process) + " before it was ready; see " + log.toAbsolutePath()));
        });
        try {
            return new ChildJvm(name, process, readyLine.get(readyTimeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (ExecutionException e) {
            process.destroyForcibly();
            throw (RuntimeException) e.getCause();
        } catch (TimeoutException e) {
            process.destroyForcibly();
            throw new IllegalStateException(name + " was not ready within " + readyTimeout + "; see "
                    + log.toAbsolutePath(), e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String exitCode(Process p) {
        try {
            return p.waitFor(5, TimeUnit.SECONDS) ? Integer.toString(p.exitValue()) : "(still running)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    /** What the process printed after READY. */
    String ready() {
        return ready;
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, and wait until the process is gone. */
    void kill() {
        process.destroyForcibly();
        awaitExit(Duration.ofSeconds(30));
    }

    /** Waits for the process to end by itself; returns its exit code. */
    int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name + " did not exit within " + timeout);
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }
}
