package dev.tokenledger.usage;

import java.time.Duration;
import org.slf4j.Logger;

/** Logs a failure that repeats every few milliseconds during an outage once per interval, then its recovery. */
final class RateLimitedLog {
    private final Logger log;
    private final long intervalNanos;
    private long lastWarn;
    private boolean failing;

    RateLimitedLog(Logger log, Duration interval) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
    }

    synchronized void warn(String message, Throwable error) {
        long now = System.nanoTime();
        if (!failing || now - lastWarn > intervalNanos) {
            log.warn("{}: {}", message, error.toString());
            lastWarn = now;
        }
        failing = true;
    }

    synchronized void recovered(String what) {
        if (failing) {
            log.info("{} recovered", what);
            failing = false;
        }
    }
}
