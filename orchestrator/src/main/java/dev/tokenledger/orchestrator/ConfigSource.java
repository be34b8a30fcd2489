package dev.tokenledger.orchestrator;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads settings from the environment, then the optional properties file, then the defaults. */
final class ConfigSource {
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    private final Map<String, String> values;

    private ConfigSource(Map<String, String> values) {
        this.values = values;
    }

    static ConfigSource of(Map<String, String> env) {
        Map<String, String> merged = new HashMap<>();
        String file = env.get(Setting.CONFIG_FILE.env);
        if (file != null && !file.isBlank()) {
            Properties props = new Properties();
            try (Reader r = Files.newBufferedReader(Path.of(file))) {
                props.load(r);
            } catch (IOException e) {
                throw new ConfigException(Setting.CONFIG_FILE.env + " names '" + file + "', which cannot be read: "
                        + e.getMessage());
            }
            props.forEach((k, v) -> merged.put(k.toString(), v.toString().trim()));
        }
        env.forEach((k, v) -> {
            if (k.startsWith("TOKENLEDGER_")) {
                merged.put(k, v);
            }
        });
        return new ConfigSource(merged);
    }

    /** The configured value, or null when unset. Secrets may come from the file named by NAME_FILE. */
    String raw(Setting s) {
        String v = values.get(s.env);
        if ((v == null || v.isBlank()) && s.secret) {
            String file = values.get(s.env + "_FILE");
            if (file != null && !file.isBlank()) {
                try {
                    return Files.readString(Path.of(file)).strip();
                } catch (IOException e) {
                    throw new ConfigException(s.env + "_FILE names '" + file + "', which cannot be read: "
                            + e.getClass().getSimpleName());
                }
            }
        }
        return v == null || v.isBlank() ? null : v.strip();
    }

    String string(Setting s) {
        String v = raw(s);
        return v != null ? v : s.defaultValue;
    }

    int integer(Setting s, int min, int max) {
        String v = string(s);
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new ConfigException(s.env + " must be between " + min + " and " + max + ", got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ConfigException(s.env + " must be a whole number, got '" + v + "'");
        }
    }

    double fraction(Setting s) {
        String v = string(s);
        try {
            double d = Double.parseDouble(v);
            if (!(d >= 0 && d <= 1)) {
                throw new ConfigException(s.env + " must be between 0 and 1, got " + v);
            }
            return d;
        } catch (NumberFormatException e) {
            throw new ConfigException(s.env + " must be a number between 0 and 1, got '" + v + "'");
        }
    }

    boolean bool(Setting s) {
        String v = string(s).toLowerCase(Locale.ROOT);
        return switch (v) {
            case "true", "yes", "1", "on" -> true;
            case "false", "no", "0", "off" -> false;
            default -> throw new ConfigException(s.env + " must be true or false, got '" + v + "'");
        };
    }

    /** {@code 100ms}, {@code 5s}, {@code 10m}, {@code 2h}, {@code 7d}, or ISO-8601 ({@code PT5S}). */
    Duration duration(Setting s) {
        String v = string(s);
        return parseDuration(s.env, v);
    }

    static Duration parseDuration(String name, String v) {
        Matcher m = DURATION.matcher(v.toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        try {
            return Duration.parse(v);
        } catch (RuntimeException e) {
            throw new ConfigException(name + " must be a duration such as 500ms, 5s, 10m, 2h or 7d, got '" + v + "'");
        }
    }
}
