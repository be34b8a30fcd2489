package dev.tokenledger.orchestrator;

import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.tokenledger.usage.DeadLetters;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "dead-letters", mixinStandardHelpOptions = true,
        description = {"The events refused on their way to ClickHouse (usage_dead_letter): the rest of their batch was"
                + " written, they were not. Each stays unresolved (the ledger is not clean: reconcile exits 1, /readyz"
                + " reports dead_letters DEGRADED) until it is replayed or discarded; either way the row stays, as the"
                + " audit.",
                "Exit codes: 0 done, 1 refused (the message says why; nothing was changed), 2 a usage error."})
final class DeadLettersCommand implements Runnable {
    static final int DEFAULT_LIMIT = 50;

    private final LedgerOpener ledgers;

    @Spec
    CommandSpec spec;

    DeadLettersCommand(LedgerOpener ledgers) {
        this.ledgers = ledgers;
    }

    DeadLettersCommand() {
        this(LedgerOpener.FROM_ENVIRONMENT);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "The unresolved dead letters, oldest first (--all: the resolved ones too).")
    int list(@Option(names = "--all", description = "include replayed and discarded ones") boolean all,
             @Option(names = "--json", description = "print them as JSON, with their payloads") boolean json,
             @Option(names = "--limit", defaultValue = "" + DEFAULT_LIMIT, paramLabel = "N",
                     description = "at most N (default ${DEFAULT-VALUE})") int limit) {
        if (limit < 1 || limit > 100_000) {
            throw new IllegalArgumentException("--limit must be between 1 and 100000, got " + limit);
        }
        PrintWriter out = out();
        try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
            List<DeadLetters.Letter> letters = ledger.deadLetters().list(all, limit);
            long unresolved = ledger.deadLetters().unresolvedCount();
            if (json) {
                out.println(Output.json(new ListJson(unresolved, letters.stream().map(LetterJson::of).toList())));
                return 0;
            }
            if (letters.isEmpty()) {
                out.println(all ? "no dead letters" : "no unresolved dead letters");
                return 0;
            }
            Output.Table t = new Output.Table("event_id", "event_time", "batch", "dead-lettered at", "code", "state",
                    "error");
            for (DeadLetters.Letter l : letters) {
                t.row(l.eventId().toString(), l.eventTime().toString(), Long.toString(l.batchId()),
                        l.deadLetteredAt().toString(), l.clickhouseCode() == null ? "-" : l.clickhouseCode().toString(),
                        l.unresolved() ? "unresolved" : l.resolution(), firstLine(l.error(), 100));
            }
            out.print(t);
            out.println(Output.count(unresolved) + " unresolved dead letter(s)"
                    + (letters.size() == limit ? "; showing the first " + limit + " (--limit)" : ""));
            if (unresolved > 0) {
                out.println("next: ./tokenledger dead-letters show EVENT_ID (the stored event and the whole error), then"
                        + " replay EVENT_ID once its cause is fixed, or discard EVENT_ID --reason TEXT");
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "One dead letter: the error, how it was resolved, and the stored event (payload).")
    int show(@Parameters(paramLabel = "EVENT_ID", description = "the event_id of the dead letter") UUID eventId,
             @Option(names = "--json", description = "print it as JSON") boolean json) {
        PrintWriter out = out();
        try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
            Optional<DeadLetters.Letter> found = ledger.deadLetters().find(eventId);
            if (found.isEmpty()) {
                return refused("show", "no dead letter with event_id " + eventId);
            }
            DeadLetters.Letter l = found.get();
            if (json) {
                out.println(Output.json(LetterJson.of(l)));
                return 0;
            }
            Output.Table t = new Output.Table("field", "value");
            t.row("event_id", l.eventId().toString());
            t.row("event_time", l.eventTime().toString());
            t.row("batch_id", Long.toString(l.batchId()));
            t.row("dead_lettered_at", l.deadLetteredAt().toString());
            t.row("clickhouse_code", l.clickhouseCode() == null ? "-" : l.clickhouseCode().toString());
            t.row("state", l.unresolved() ? "unresolved" : l.resolution());
            if (!l.unresolved()) {
                t.row("resolved_at", String.valueOf(l.resolvedAt()));
                t.row("resolved_by", String.valueOf(l.resolvedBy()));
                if (l.resolutionReason() != null) {
                    t.row("reason", l.resolutionReason());
                }
            }
            if (l.replayToken() != null) {
                t.row("replay_token", l.replayToken());
            }
            out.print(t);
            out.println("error:");
            out.println(indent(l.error()));
            out.println("payload (the event as stored in usage_event):");
            out.println(indent(prettyJson(l.payload())));
            return 0;
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = {"Validate the stored event again, price it and write it into llm_usage under a token of its"
                    + " own (recorded before it is sent: a replay interrupted and run again writes it once). Refused,"
                    + " with nothing changed, while the event still fails validation or when llm_usage already holds"
                    + " its id.", "Fix the cause first (a stored value: usage_dead_letter.payload; a ClickHouse schema)."})
    int replay(@Parameters(paramLabel = "EVENT_ID", description = "the event_id of the dead letter") UUID eventId) {
        try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
            DeadLetters.Letter l = ledger.deadLetters().replay(eventId, by());
            out().println("replayed " + l.eventId() + ": written into llm_usage (token " + l.replayToken() + ");"
                    + " reconcile now counts it as written");
            return 0;
        } catch (IllegalStateException e) {
            return refused("replay", e.getMessage());
        }
    }

    @Command(name = "discard", mixinStandardHelpOptions = true,
            description = "Mark a dead letter discarded: its usage is never written and reconcile counts it as"
                    + " discarded. The reason and who did it are kept with it.")
    int discard(@Parameters(paramLabel = "EVENT_ID", description = "the event_id of the dead letter") UUID eventId,
                @Option(names = "--reason", paramLabel = "TEXT", description = "why this usage is dropped (required:"
                        + " it is kept as the audit)") String reason) {
        if (reason == null || reason.isBlank()) {
            spec.commandLine().getErr().println("tokenledger dead-letters discard: --reason TEXT is required: the reason"
                    + " is kept with the dead letter as the audit of why this usage was dropped");
            return 2;
        }
        try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
            DeadLetters.Letter l = ledger.deadLetters().discard(eventId, reason, by());
            out().println("discarded " + l.eventId() + " (by " + l.resolvedBy() + ": " + l.resolutionReason() + ")");
            return 0;
        } catch (IllegalStateException e) {
            return refused("discard", e.getMessage());
        }
    }

    /** Who resolved a dead letter, as kept in usage_dead_letter.resolved_by. */
    static String by() {
        return System.getProperty("user.name") + "@cli";
    }

    private int refused(String subcommand, String message) {
        spec.commandLine().getErr().println("tokenledger dead-letters " + subcommand + ": " + message);
        return 1;
    }

    private PrintWriter out() {
        return spec.commandLine().getOut();
    }

    private static String firstLine(String s, int max) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() <= max ? line : line.substring(0, max - 1) + "…";
    }

    private static String indent(String s) {
        return s == null ? "  (none)" : "  " + s.replace("\n", "\n  ");
    }

    private static String prettyJson(String json) {
        if (json == null) {
            return null;
        }
        try {
            return Output.JSON.writeValueAsString(Output.JSON.readTree(json));
        } catch (JsonProcessingException e) {
            return json;
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record ListJson(long unresolved, List<LetterJson> deadLetters) {
    }

    /** A dead letter as JSON: snake_case, ISO-8601 times, the stored event as a JSON object. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record LetterJson(UUID eventId, long batchId, Instant eventTime, String state, String error, Integer clickhouseCode,
                      Instant deadLetteredAt, Instant resolvedAt, String resolvedBy, String resolutionReason,
                      String replayToken, @JsonRawValue String payload) {
        static LetterJson of(DeadLetters.Letter l) {
            return new LetterJson(l.eventId(), l.batchId(), l.eventTime(), l.unresolved() ? "unresolved" : l.resolution(),
                    l.error(), l.clickhouseCode(), l.deadLetteredAt(), l.resolvedAt(), l.resolvedBy(),
                    l.resolutionReason(), l.replayToken(), l.payload());
        }
    }
}
