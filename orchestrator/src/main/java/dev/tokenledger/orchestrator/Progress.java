package dev.tokenledger.orchestrator;

import java.io.PrintWriter;

/** A progress bar on a terminal; on anything else, a line every quarter. */
final class Progress {
    private final PrintWriter out;
    private final String label;
    private final long total;
    private final boolean terminal;
    private int lastQuarter = -1;

    Progress(PrintWriter out, String label, long total) {
        this.out = out;
        this.label = label;
        this.total = Math.max(1, total);
        this.terminal = System.console() != null;
    }

    void update(long done) {
        int percent = (int) Math.min(100, done * 100 / total);
        if (terminal) {
            int filled = percent * 30 / 100;
            out.print("\r" + label + " [" + "#".repeat(filled) + "-".repeat(30 - filled) + "] " + Output.count(done) + "/"
                    + Output.count(total));
            out.flush();
        } else if (percent / 25 > lastQuarter) {
            lastQuarter = percent / 25;
            out.println(label + " " + percent + "% (" + Output.count(done) + "/" + Output.count(total) + ")");
            out.flush();
        }
    }

    void done() {
        update(total);
        if (terminal) {
            out.println();
        }
    }
}
