package dev.tokenledger.orchestrator.bench;

import java.util.Locale;

/**
 * One measured number of a scenario: its value in {@code unit}, the target it must meet (if any), and the
 * baseline measured in the same run with the ratio between them, oriented so that a ratio above 1 always
 * means "better than the baseline" ({@code baseline / value} for times, {@code value / baseline} for rates).
 *
 * @param key      stable identifier within the scenario, for the JSON file (e.g. {@code durable_p99_5k})
 * @param label    what the table shows
 * @param value    the measurement, in {@code unit}
 * @param unit     {@code events/s}, {@code ms}, {@code us}, {@code ns}, {@code x}, {@code rows/s} ...
 * @param better   whether higher or lower is better
 * @param target   the bound to meet, or null
 * @param baseline the baseline's value in the same unit, or null
 * @param baselineLabel what the baseline is
 */
record Figure(String key, String label, double value, String unit, Better better, Target target, Double baseline,
              String baselineLabel) {

    enum Better {
        HIGHER, LOWER
    }

    /** A bound: {@code >=}, {@code >}, {@code <=} or {@code <} {@code bound}. */
    record Target(String op, double bound) {
        Target {
            if (!op.equals(">=") && !op.equals(">") && !op.equals("<=") && !op.equals("<")) {
                throw new IllegalArgumentException("target operator must be >=, >, <= or <, got " + op);
            }
        }

        static Target atLeast(double bound) {
            return new Target(">=", bound);
        }

        static Target below(double bound) {
            return new Target("<", bound);
        }

        static Target atMost(double bound) {
            return new Target("<=", bound);
        }

        boolean met(double value) {
            return switch (op) {
                case ">=" -> value >= bound;
                case ">" -> value > bound;
                case "<=" -> value <= bound;
                default -> value < bound;
            };
        }

        /** How far the value is from the bound, as a factor (1.25 = 25 % short); 1 or less when met. */
        double shortfall(double value) {
            if (value <= 0 || bound <= 0) {
                return met(value) ? 1 : Double.POSITIVE_INFINITY;
            }
            return op.startsWith(">") ? bound / value : value / bound;
        }
    }

    static Figure of(String key, String label, double value, String unit, Better better) {
        return new Figure(key, label, value, unit, better, null, null, null);
    }

    Figure target(Target t) {
        return new Figure(key, label, value, unit, better, t, baseline, baselineLabel);
    }

    Figure baseline(double baselineValue, String what) {
        return new Figure(key, label, value, unit, better, target, baselineValue, what);
    }

    /** Better-than-baseline factor (above 1 = better), or null without a baseline. */
    Double ratio() {
        if (baseline == null || baseline == 0 || value == 0) {
            return null;
        }
        return better == Better.HIGHER ? value / baseline : baseline / value;
    }

    /** Whether the target is met; null without a target. */
    Boolean met() {
        return target == null ? null : target.met(value);
    }

    String formattedValue() {
        return format(value, unit);
    }

    String formattedTarget() {
        return target == null ? "" : target.op().replace(">=", "≥").replace("<=", "≤") + " " + format(target.bound(), unit);
    }

    static String format(double v, String unit) {
        String number;
        double abs = Math.abs(v);
        if (Double.isNaN(v)) {
            return "n/a";
        } else if (abs >= 100 || v == Math.rint(v) && abs < 1e15) {
            number = String.format(Locale.US, "%,.0f", v);
        } else if (abs >= 10) {
            number = String.format(Locale.US, "%.1f", v);
        } else if (abs >= 1) {
            number = String.format(Locale.US, "%.2f", v);
        } else {
            number = String.format(Locale.US, "%.3f", v);
        }
        return switch (unit) {
            case "x" -> number + "×";
            case "" -> number;
            case "us" -> number + " µs";
            default -> number + " " + unit;
        };
    }
}
