package dev.tokenledger.usage.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * One scenario's outcome, printed and appended as a row of the table in RELIABILITY.md's format to
 * {@code target/chaos-results.md} (the launcher prints that file after a run).
 */
record ChaosReport(String scenario, String load, String faults, long accepted, long written, long lost,
                   long duplicated, Duration timeToRecover, String notes) {

    static final Path RESULTS = Path.of("target", "chaos-results.md");

    static ChaosReport of(String scenario, String load, String faults, LedgerAudit.Result audit, Duration recover,
                          String notes) {
        return new ChaosReport(scenario, load, faults, audit.acknowledged(), audit.written(), audit.lost(),
                audit.duplicated(), recover, notes);
    }

    String row() {
        return "| " + String.join(" | ", scenario + " (" + Chaos.mode() + ")", load, faults, Long.toString(accepted),
                Long.toString(written), Long.toString(lost), Long.toString(duplicated), seconds(timeToRecover), notes)
                + " |";
    }

    static String seconds(Duration d) {
        return d == null ? "—" : String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    /** Prints the outcome and appends it to {@link #RESULTS} (scenarios run two at a time). */
    ChaosReport publish() {
        synchronized (ChaosReport.class) {
            return publishAlone();
        }
    }

    private ChaosReport publishAlone() {
        System.out.println("[chaos] RESULT " + row());
        try {
            boolean fresh = !Files.exists(RESULTS);
            Files.createDirectories(RESULTS.getParent());
            StringBuilder out = new StringBuilder();
            if (fresh) {
                out.append("| scenario | load | faults injected | events accepted | written | lost | duplicated"
                        + " | time to recover | notes |\n|---|---|---|---|---|---|---|---|---|\n");
            }
            out.append(row()).append(" <!-- ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append(" -->\n");
            Files.writeString(RESULTS, out, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }
}
