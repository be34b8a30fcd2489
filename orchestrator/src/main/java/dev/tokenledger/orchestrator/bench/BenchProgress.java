package dev.tokenledger.orchestrator.bench;

import java.io.PrintWriter;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The progress line: on a terminal one line rewritten twice a second ({@code [scenario 12s] what it does});
 * elsewhere (CI logs) a line every five seconds and whenever the step changes.
 */
final class BenchProgress implements AutoCloseable {
    private final PrintWriter out;
    private final boolean terminal;
    private final Thread ticker;
    private volatile String scenario = "";
    private volatile long scenarioStarted = System.nanoTime();
    private volatile Supplier<String> status = () -> "";
    private volatile String step = "";
    private String lastPrinted = "";
    private long lastLineAt;
    private int lastWidth;
    private volatile boolean running = true;

    BenchProgress(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
        this.ticker = Thread.ofPlatform().name("bench-progress").daemon(true).start(this::tick);
    }

    void scenario(String name) {
        scenario = name;
        scenarioStarted = System.nanoTime();
        step("starting");
    }

    /** A step with a fixed text. */
    void step(String text) {
        step(text, () -> "");
    }

    /** A step whose live figures come from {@code live} (called from the progress thread). */
    void step(String text, Supplier<String> live) {
        step = text;
        status = live;
        print(true);
    }

    private void tick() {
        while (running) {
            try {
                TimeUnit.MILLISECONDS.sleep(terminal ? 500 : 1_000);
            } catch (InterruptedException e) {
                return;
            }
            print(false);
        }
    }

    private synchronized void print(boolean stepChanged) {
        if (scenario.isEmpty()) {
            return;
        }
        String live;
        try {
            live = status.get();
        } catch (RuntimeException e) {
            live = "";
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - scenarioStarted);
        String line = "[" + scenario + " " + seconds + "s] " + step + (live.isEmpty() ? "" : ": " + live);
        if (terminal) {
            String padded = line.length() < lastWidth ? line + " ".repeat(lastWidth - line.length()) : line;
            out.print("\r" + padded);
            out.flush();
            lastWidth = line.length();
        } else if (stepChanged ? !line.equals(lastPrinted) : System.nanoTime() - lastLineAt > 5_000_000_000L) {
            out.println(line);
            out.flush();
            lastPrinted = line;
            lastLineAt = System.nanoTime();
        }
    }

    /** Ends the current line (before printing anything else). */
    synchronized void clear() {
        if (terminal && lastWidth > 0) {
            out.print("\r" + " ".repeat(lastWidth) + "\r");
            out.flush();
            lastWidth = 0;
        }
        scenario = "";
    }

    @Override
    public void close() {
        running = false;
        ticker.interrupt();
        clear();
    }
}
