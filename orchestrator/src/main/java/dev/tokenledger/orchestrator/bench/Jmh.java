package dev.tokenledger.orchestrator.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.IterationType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs one JMH benchmark for a scenario with JMH's {@link Runner}: average time per operation in one forked JVM
 * (JMH's defaults: this JVM's java, class path and JVM options), warm-up then measurement iterations (fewer and
 * shorter under {@code --quick}), and JMH's GC profiler for the bytes allocated per operation. JMH's own report
 * is kept in memory and shown only when the run fails; the progress line shows each iteration.
 */
final class Jmh {
    /** JMH refuses to start while another JMH run holds its lock (a benchmark of its own): wait up to this long. */
    private static final Duration LOCK_WAIT = Duration.ofMinutes(5);
    private static final String GC_NORM = "gc.alloc.rate.norm";

    private Jmh() {
    }

    /**
     * One benchmark's figures, in nanoseconds per operation: JMH's score (the mean of the measurement iterations)
     * and its 99.9% confidence half-width, the median, best and worst iteration; bytes allocated per operation
     * (NaN when the GC profiler gave none).
     */
    record Measured(String benchmark, double nanosPerOp, double errorNanos, double medianNanosPerOp,
                    double bestNanosPerOp, double worstNanosPerOp, double bytesPerOp, int warmupIterations,
                    int iterations, Duration iterationTime, int forks) {

        Map<String, Object> details() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("harness", "JMH " + org.openjdk.jmh.util.Version.getPlainVersion() + ", " + benchmark);
            m.put("ns_per_op", Latencies.round(nanosPerOp));
            m.put("ns_per_op_error_999", Latencies.round(errorNanos));
            m.put("ns_per_op_median", Latencies.round(medianNanosPerOp));
            m.put("ns_per_op_best", Latencies.round(bestNanosPerOp));
            m.put("ns_per_op_worst", Latencies.round(worstNanosPerOp));
            m.put("bytes_per_op", Double.isNaN(bytesPerOp) ? null : Latencies.round(bytesPerOp));
            m.put("forks", forks);
            m.put("warmup_iterations", warmupIterations);
            m.put("iterations", iterations);
            m.put("iteration_ms", iterationTime.toMillis());
            return m;
        }
    }

    /**
     * Runs {@code benchmarks.method} with {@code params} (every {@code @Param} of its states), showing {@code step}
     * and the iteration under way on the progress line.
     */
    static Measured run(BenchContext ctx, String step, Class<?> benchmarks, String method, Map<String, String> params)
            throws RunnerException, InterruptedException {
        String name = benchmarks.getName() + "." + method;
        int warmups = ctx.count(3, 5);
        int iterations = ctx.count(3, 7);
        Duration iterationTime = ctx.duration(Duration.ofMillis(500), Duration.ofSeconds(1));
        int forks = 1;
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include("^" + Pattern.quote(name) + "$")
                .mode(org.openjdk.jmh.annotations.Mode.AverageTime)
                .timeUnit(TimeUnit.NANOSECONDS)
                .forks(forks)
                .warmupIterations(warmups)
                .warmupTime(TimeValue.milliseconds(iterationTime.toMillis()))
                .measurementIterations(iterations)
                .measurementTime(TimeValue.milliseconds(iterationTime.toMillis()))
                .threads(1)
                .addProfiler(GCProfiler.class)
                .shouldFailOnError(true);
        params.forEach(options::param);

        Watch watch = new Watch(warmups, iterations);
        ctx.progress().step(step, () -> watch.status);
        long waitUntil = System.nanoTime() + LOCK_WAIT.toNanos();
        Collection<RunResult> results;
        while (true) {
            try {
                results = new Runner(options.build(), watch).run();
                break;
            } catch (RunnerException e) {
                boolean locked = String.valueOf(e.getMessage()).contains("Another JMH instance");
                if (!locked || System.nanoTime() > waitUntil) {
                    throw new RunnerException(name + " failed: " + e.getMessage() + watch.tail(), e);
                }
                watch.status = "waiting for another JMH run to end (JMH's lock file)";
                TimeUnit.SECONDS.sleep(1);
            }
        }
        if (results.size() != 1) {
            throw new IllegalStateException("JMH ran " + results.size() + " benchmarks for " + name + watch.tail());
        }
        RunResult run = results.iterator().next();
        Result<?> primary = run.getPrimaryResult();
        Result<?> bytes = run.getSecondaryResults().get(GC_NORM);
        return new Measured(method, primary.getScore(), finiteOrZero(primary.getScoreError()),
                primary.getStatistics().getPercentile(50), primary.getStatistics().getMin(),
                primary.getStatistics().getMax(), bytes == null ? Double.NaN : bytes.getScore(), warmups, iterations,
                iterationTime, forks);
    }

    /** JMH's error is NaN with too few iterations to tell. */
    private static double finiteOrZero(double v) {
        return Double.isFinite(v) ? v : 0;
    }

    /**
     * JMH's text report, kept (its last lines) for a failure, and the iteration under way for the progress line.
     * The report's header and summary list every {@code @Param}, the database password among them: neither is kept.
     */
    private static final class Watch implements OutputFormat {
        private static final int KEPT_LINES = 60;

        private final int warmups;
        private final int iterations;
        private final Deque<String> lines = new ArrayDeque<>();
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        private final OutputFormat text;
        volatile String status = "starting a JVM for JMH";

        Watch(int warmups, int iterations) {
            this.warmups = warmups;
            this.iterations = iterations;
            this.text = OutputFormatFactory.createFormatInstance(new PrintStream(new OutputStream() {
                @Override
                public void write(int b) {
                    keep(b);
                }
            }, true, StandardCharsets.UTF_8), VerboseMode.NORMAL);
        }

        private synchronized void keep(int b) {
            if (b == '\n') {
                lines.addLast(partial.toString(StandardCharsets.UTF_8));
                partial.reset();
                while (lines.size() > KEPT_LINES) {
                    lines.removeFirst();
                }
            } else {
                partial.write(b);
            }
        }

        synchronized String tail() {
            String last = partial.toString(StandardCharsets.UTF_8);
            return lines.isEmpty() && last.isEmpty() ? "" : "\nJMH's output (last lines):\n" + String.join("\n", lines)
                    + (last.isEmpty() ? "" : "\n" + last);
        }

        private String label(IterationParams params, int iteration) {
            return params.getType() == IterationType.WARMUP ? "warm-up " + iteration + "/" + warmups
                    : "iteration " + iteration + "/" + iterations;
        }

        @Override
        public void iteration(BenchmarkParams benchParams, IterationParams params, int iteration) {
            status = label(params, iteration);
            text.iteration(benchParams, params, iteration);
        }

        @Override
        public void iterationResult(BenchmarkParams benchParams, IterationParams params, int iteration,
                                    IterationResult data) {
            status = label(params, iteration) + String.format(Locale.ROOT, " %.1f %s",
                    data.getPrimaryResult().getScore(), data.getPrimaryResult().getScoreUnit());
            text.iterationResult(benchParams, params, iteration, data);
        }

        @Override
        public void startBenchmark(BenchmarkParams benchParams) {
            text.println("# Benchmark: " + benchParams.getBenchmark() + ", JVM " + benchParams.getJvm() + " "
                    + String.join(" ", benchParams.getJvmArgs()));
        }

        @Override
        public void endBenchmark(BenchmarkResult result) {
            text.endBenchmark(result);
        }

        @Override
        public void startRun() {
            text.startRun();
        }

        @Override
        public void endRun(Collection<RunResult> result) {
            // the summary table: the caller reports the figures itself
        }

        @Override
        public void print(String s) {
            text.print(s);
        }

        @Override
        public void println(String s) {
            text.println(s);
        }

        @Override
        public void flush() {
            text.flush();
        }

        @Override
        public void close() {
            text.flush();
        }

        @Override
        public void verbosePrintln(String s) {
            text.verbosePrintln(s);
        }

        @Override
        public void write(int b) {
            text.write(b);
        }

        @Override
        public void write(byte[] b) throws IOException {
            text.write(b);
        }
    }
}
