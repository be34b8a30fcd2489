package dev.tokenledger.orchestrator;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.tokenledger.usage.LedgerIdentity;
import java.io.PrintWriter;
import java.util.List;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "installation", mixinStandardHelpOptions = true,
        description = {"Which ledger this PostgreSQL and this ClickHouse belong to. PostgreSQL mints an id with its"
                + " schema (ledger_installation); the first writer claims ClickHouse with it (tokenledger_installation)."
                + " A PostgreSQL whose id is not ClickHouse's (re-created, or pointed at another ledger's ClickHouse)"
                + " does not write: its batch ids would collide with batches ClickHouse has seen.",
                "Exit codes: 0 they match (or adopted), 1 they differ or adopt was refused, 2 a usage error."})
final class InstallationCommand implements Runnable {
    private final LedgerOpener ledgers;

    @Spec
    CommandSpec spec;

    InstallationCommand(LedgerOpener ledgers) {
        this.ledgers = ledgers;
    }

    InstallationCommand() {
        this(LedgerOpener.FROM_ENVIRONMENT);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "PostgreSQL's installation id, the ids that claimed the ClickHouse database, and whether they"
                    + " match. Exits 0 when they do (or ClickHouse is not claimed yet).")
    int show(@Option(names = "--json", description = "print it as JSON") boolean json) {
        PrintWriter out = spec.commandLine().getOut();
        try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
            LedgerIdentity identity = ledger.identity();
            UUID postgres = identity.postgresId();
            List<UUID> claims = identity.clickHouseIds();
            boolean match = claims.isEmpty() || claims.getFirst().equals(postgres);
            String database = ledger.clickHouse().database();
            if (json) {
                out.println(Output.json(new Json(postgres, database, claims, match)));
                return match ? 0 : 1;
            }
            out.println("PostgreSQL (ledger_installation):      " + postgres);
            if (claims.isEmpty()) {
                out.println("ClickHouse '" + database + "' (tokenledger_installation): not claimed yet");
                out.println("match: yes (the first write claims ClickHouse for " + postgres + ")");
                return 0;
            }
            out.println("ClickHouse '" + database + "' (tokenledger_installation): " + claims.getFirst() + " (owner)");
            for (UUID other : claims.subList(1, claims.size())) {
                out.println("    later claim, ignored:                " + other);
            }
            if (match) {
                out.println("match: yes, this PostgreSQL writes into this ClickHouse");
                return 0;
            }
            out.println("match: NO. This PostgreSQL belongs to another ledger than ClickHouse '" + database + "', so"
                    + " nothing is written (accepted events stay durable in PostgreSQL).");
            out.println("  - PostgreSQL points at the wrong ClickHouse: fix " + Setting.CLICKHOUSE_URL.env + " / "
                    + Setting.CLICKHOUSE_DATABASE.env + ".");
            out.println("  - PostgreSQL was re-created on purpose for this ClickHouse: ./tokenledger installation adopt"
                    + " --yes");
            return 1;
        }
    }

    @Command(name = "adopt", mixinStandardHelpOptions = true,
            description = "Make this PostgreSQL take the id of the ledger that owns the ClickHouse database, after"
                    + " PostgreSQL was re-created for it. Needs --yes.")
    int adopt(@Option(names = "--yes", description = "yes, this PostgreSQL was re-created for this ClickHouse")
              boolean yes) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
            LedgerIdentity identity = ledger.identity();
            UUID postgres = identity.postgresId();
            List<UUID> claims = identity.clickHouseIds();
            String database = ledger.clickHouse().database();
            if (claims.isEmpty()) {
                err.println("tokenledger installation adopt: ClickHouse '" + database + "' has not been claimed by any"
                        + " ledger: there is nothing to adopt (the first write claims it for " + postgres + ")");
                return 1;
            }
            UUID owner = claims.getFirst();
            if (owner.equals(postgres)) {
                out.println("nothing to adopt: this PostgreSQL already has the id that owns ClickHouse '" + database
                        + "' (" + owner + ")");
                return 0;
            }
            if (!yes) {
                err.println("tokenledger installation adopt: refused without --yes. Adopting makes this PostgreSQL take"
                        + " the id of the ledger that owns ClickHouse '" + database + "' (" + owner + ") instead of its"
                        + " own (" + postgres + "), so its writer writes into that ClickHouse again. Do it only when"
                        + " PostgreSQL was re-created on purpose for this ClickHouse: its new batches are safe (their"
                        + " deduplication tokens name their seal time as well as their id). If PostgreSQL points at the"
                        + " wrong ClickHouse, fix " + Setting.CLICKHOUSE_URL.env + " / " + Setting.CLICKHOUSE_DATABASE.env
                        + " instead. To adopt: ./tokenledger installation adopt --yes");
                return 1;
            }
            UUID taken = identity.adoptClickHouse();
            out.println("adopted: this PostgreSQL now has id " + taken + " (was " + postgres + "); restart the service"
                    + " (or any writer) so that it checks again and writes");
            return 0;
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Json(UUID postgresId, String clickhouseDatabase, List<UUID> clickhouseIds, boolean match) {
    }
}
