package dev.tokenledger.orchestrator;

import dev.tokenledger.orchestrator.keys.ApiKeyStore;
import dev.tokenledger.orchestrator.keys.Scope;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.InstantSource;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "keys", mixinStandardHelpOptions = true,
        description = {"The HTTP API's keys kept in PostgreSQL, each with a name, scopes (usage:write, reports:read,"
                + " admin) and the workspaces it may touch (or all). The keys of TOKENLEDGER_API_KEYS stay admin keys"
                + " for every workspace. A running service sees a key created or revoked here within a second.",
                "Exit codes: 0 done, 1 refused (the message says why; nothing was changed), 2 a usage error."})
final class KeysCommand implements Runnable {
    private final LedgerOpener ledgers;

    @Spec
    CommandSpec spec;

    KeysCommand(LedgerOpener ledgers) {
        this.ledgers = ledgers;
    }

    KeysCommand() {
        this(LedgerOpener.FROM_ENVIRONMENT);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a key and print it: it is shown this once (only its SHA-256 is stored).")
    int create(@Option(names = "--name", required = true, description = "what the key is for, e.g. team-a-ingest")
               String name,
               @Option(names = "--scope", required = true, split = ",", paramLabel = "SCOPE",
                       description = "usage:write, reports:read or admin (repeat or separate with commas)")
               List<String> scopes,
               @Option(names = "--workspace", split = ",", paramLabel = "WORKSPACE",
                       description = "a workspace it may touch (repeat or separate with commas); none: every workspace")
               List<String> workspaces,
               @Option(names = "--json", description = "print it as JSON") boolean json) {
        Set<Scope> parsed = EnumSet.noneOf(Scope.class);
        scopes.forEach(s -> parsed.add(Scope.parse(s)));
        Set<String> limited = workspaces == null ? Set.of()
                : workspaces.stream().map(String::strip).collect(Collectors.toCollection(LinkedHashSet::new));
        try (LedgerOpener.Postgres pg = ledgers.postgres()) {
            ApiKeyStore.CreatedKey created = store(pg).create(name, parsed, limited, by());
            if (json) {
                out().println(Output.json(new CreatedJson(created.secret(), KeyJson.of(created.info()))));
                return 0;
            }
            out().println(created.secret());
            spec.commandLine().getErr().println("created key '" + created.info().name() + "' (id "
                    + created.info().keyId() + ", " + describe(created.info()) + "). The line above is the key: it is"
                    + " not shown again. Send it as 'Authorization: Bearer <key>'.");
            return 0;
        } catch (IllegalArgumentException e) {
            return refused("create", e.getMessage());
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "The keys (never their secrets): name, id, scopes, workspaces, created, last used.")
    int list(@Option(names = "--all", description = "include revoked keys") boolean all,
             @Option(names = "--json", description = "print them as JSON") boolean json) {
        try (LedgerOpener.Postgres pg = ledgers.postgres()) {
            List<ApiKeyStore.KeyInfo> keys = store(pg).list(all);
            if (json) {
                out().println(Output.json(keys.stream().map(KeyJson::of).toList()));
                return 0;
            }
            if (keys.isEmpty()) {
                out().println(all ? "no stored keys" : "no live stored keys (TOKENLEDGER_API_KEYS are not listed)");
                return 0;
            }
            Output.Table t = new Output.Table("name", "id", "scopes", "workspaces", "created", "last used", "state");
            for (ApiKeyStore.KeyInfo k : keys) {
                t.row(k.name(), k.keyId(), scopes(k.scopes()), k.workspaces().isEmpty() ? "all"
                        : String.join(",", k.workspaces().stream().sorted().toList()), k.createdAt().toString(),
                        k.lastUsedAt() == null ? "never" : k.lastUsedAt().toString(),
                        k.revoked() ? "revoked " + k.revokedAt() : "live");
            }
            out().print(t);
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke a key by name or id: every running service refuses it within a second. The row stays.")
    int revoke(@Parameters(paramLabel = "NAME_OR_ID") String nameOrId) {
        try (LedgerOpener.Postgres pg = ledgers.postgres()) {
            Optional<ApiKeyStore.KeyInfo> revoked = store(pg).revoke(nameOrId, by());
            if (revoked.isEmpty()) {
                return refused("revoke", "no live key named or with id '" + nameOrId + "'");
            }
            out().println("revoked key '" + revoked.get().name() + "' (id " + revoked.get().keyId() + ")");
            return 0;
        }
    }

    /** A key as JSON: snake_case like the HTTP API, never the secret. */
    record KeyJson(String keyId, String name, List<String> scopes, List<String> workspaces, Instant createdAt,
                   String createdBy, Instant revokedAt, Instant lastUsedAt) {
        static KeyJson of(ApiKeyStore.KeyInfo k) {
            return new KeyJson(k.keyId(), k.name(), k.scopes().stream().map(s -> s.wireName).sorted().toList(),
                    k.workspaces().stream().sorted().toList(), k.createdAt(), k.createdBy(), k.revokedAt(),
                    k.lastUsedAt());
        }
    }

    /** The one time a key's secret is printed. */
    record CreatedJson(String key, KeyJson info) {
    }

    private static ApiKeyStore store(LedgerOpener.Postgres pg) {
        return new ApiKeyStore(pg.dataSource(), InstantSource.system());
    }

    private static String describe(ApiKeyStore.KeyInfo k) {
        return scopes(k.scopes()) + " on " + (k.workspaces().isEmpty() ? "every workspace"
                : "workspace(s) " + String.join(", ", k.workspaces().stream().sorted().toList()));
    }

    private static String scopes(Set<Scope> scopes) {
        return scopes.stream().map(s -> s.wireName).sorted().collect(Collectors.joining(","));
    }

    private static String by() {
        return System.getProperty("user.name") + "@cli";
    }

    private int refused(String subcommand, String message) {
        spec.commandLine().getErr().println("tokenledger keys " + subcommand + ": " + message);
        return 1;
    }

    private PrintWriter out() {
        return spec.commandLine().getOut();
    }
}
