package dev.tokenledger.orchestrator.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/** A latency histogram in nanoseconds (HdrHistogram, 3 significant digits, up to 5 minutes), safe to record from many threads. */
final class Latencies {
    private final Histogram histogram = new ConcurrentHistogram(TimeUnit.MINUTES.toNanos(5), 3);

    void record(long nanos) {
        histogram.recordValue(Math.min(Math.max(nanos, 0), histogram.getHighestTrackableValue()));
    }

    /**
     * Records a call of a paced caller with HdrHistogram's correction for coordinated omission: a call that
     * took longer than the pacing interval also records the calls the caller could not issue meanwhile.
     */
    void recordPaced(long nanos, long intervalNanos) {
        histogram.recordValueWithExpectedInterval(Math.min(Math.max(nanos, 0), histogram.getHighestTrackableValue()),
                intervalNanos);
    }

    /** Adds every value {@code other} recorded (rounds of the same measurement, taken apart). */
    void add(Latencies other) {
        histogram.add(other.histogram);
    }

    long count() {
        return histogram.getTotalCount();
    }

    /** Percentile in nanoseconds. */
    long percentile(double p) {
        return histogram.getValueAtPercentile(p);
    }

    double percentileMillis(double p) {
        return percentile(p) / 1e6;
    }

    double percentileMicros(double p) {
        return percentile(p) / 1e3;
    }

    /** p50 … max in {@code unit} ("ms" or "us"), for the JSON file. */
    Map<String, Object> summary(String unit) {
        double div = unit.equals("ms") ? 1e6 : 1e3;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("unit", unit);
        m.put("count", histogram.getTotalCount());
        m.put("p50", round(histogram.getValueAtPercentile(50) / div));
        m.put("p90", round(histogram.getValueAtPercentile(90) / div));
        m.put("p99", round(histogram.getValueAtPercentile(99) / div));
        m.put("p99_9", round(histogram.getValueAtPercentile(99.9) / div));
        m.put("max", round(histogram.getMaxValue() / div));
        m.put("mean", round(histogram.getMean() / div));
        return m;
    }

    static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
