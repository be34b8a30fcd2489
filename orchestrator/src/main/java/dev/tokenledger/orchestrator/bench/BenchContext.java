package dev.tokenledger.orchestrator.bench;

import java.time.Duration;

/**
 * What a scenario runs with: the environment, the mode (quick or full), the progress line, and the soak's length
 * ({@code --duration}; null for its default).
 */
record BenchContext(BenchEnvironment env, boolean quick, BenchProgress progress, Duration soakDuration) {

    /** {@code quick} in a quick run, {@code full} otherwise. */
    Duration duration(Duration quickValue, Duration full) {
        return quick ? quickValue : full;
    }

    int count(int quickValue, int full) {
        return quick ? quickValue : full;
    }

    long count(long quickValue, long full) {
        return quick ? quickValue : full;
    }
}
