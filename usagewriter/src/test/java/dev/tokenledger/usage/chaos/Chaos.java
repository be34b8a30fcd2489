package dev.tokenledger.usage.chaos;

import java.time.Duration;
import java.util.Random;

/**
 * The reliability suite's switches. {@code -Dtokenledger.chaos=quick} (the default, run by every build)
 * or {@code full} (the {@code chaos} Maven profile; the numbers in RELIABILITY.md); {@code
 * -Dtokenledger.chaos.seed=N} replays the random moments of a run (each scenario prints its seed).
 */
final class Chaos {
    /** JUnit tag of every scenario; each also has {@code chaos-<scenario>} so one can run alone. */
    static final String TAG = "chaos";

    private Chaos() {
    }

    static boolean full() {
        return "full".equalsIgnoreCase(System.getProperty("tokenledger.chaos", "quick").strip());
    }

    static String mode() {
        return full() ? "full" : "quick";
    }

    static <T> T pick(T quick, T full) {
        return full() ? full : quick;
    }

    static Duration pick(Duration quick, Duration full) {
        return full() ? full : quick;
    }

    /** A seeded random source for a scenario's moments, printed so a failing run can be replayed. */
    static Random random(String scenario) {
        String given = System.getProperty("tokenledger.chaos.seed");
        long seed = given != null && !given.isBlank() ? Long.parseLong(given.strip()) : System.nanoTime();
        System.out.println("[chaos] " + scenario + " (" + mode() + "): seed " + seed
                + " (replay with -Dtokenledger.chaos.seed=" + seed + ")");
        return new Random(seed);
    }

    static Duration between(Random random, Duration min, Duration max) {
        long span = max.toMillis() - min.toMillis();
        return min.plusMillis(span <= 0 ? 0 : (long) (random.nextDouble() * span));
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
