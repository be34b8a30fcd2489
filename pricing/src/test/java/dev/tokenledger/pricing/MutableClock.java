package dev.tokenledger.pricing;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** A clock tests move by hand: nothing waits on real time. */
final class MutableClock implements InstantSource {
    private volatile Instant now;

    MutableClock(Instant start) {
        this.now = start;
    }

    MutableClock(String isoInstant) {
        this(Instant.parse(isoInstant));
    }

    @Override
    public Instant instant() {
        return now;
    }

    void set(Instant t) {
        now = t;
    }

    void set(String isoInstant) {
        now = Instant.parse(isoInstant);
    }

    void advance(Duration d) {
        now = now.plus(d);
    }
}
