package dev.tokenledger.orchestrator.keys;

import java.util.Optional;
import java.util.Set;

/**
 * Who a request is: the key it presented (by name, never by secret), what it may do and which workspaces it may
 * touch.
 *
 * @param workspaces the workspaces it may write or read; empty for every workspace
 */
public record Principal(String keyName, Set<Scope> scopes, Set<String> workspaces) {
    /** A request to an API that runs open (no keys, a local-only machine): may do everything. */
    public static final Principal OPEN = new Principal("(open API)", Set.of(Scope.ADMIN), Set.of());

    public Principal {
        scopes = Set.copyOf(scopes);
        workspaces = Set.copyOf(workspaces);
    }

    public boolean may(Scope scope) {
        return scopes.contains(Scope.ADMIN) || scopes.contains(scope);
    }

    public boolean allWorkspaces() {
        return workspaces.isEmpty();
    }

    public boolean mayTouch(String workspace) {
        return allWorkspaces() || workspaces.contains(workspace);
    }

    /** The key's one workspace, when it is limited to exactly one. */
    public Optional<String> onlyWorkspace() {
        return workspaces.size() == 1 ? Optional.of(workspaces.iterator().next()) : Optional.empty();
    }
}
