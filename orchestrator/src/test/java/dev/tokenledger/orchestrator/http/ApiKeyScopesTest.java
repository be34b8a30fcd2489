package dev.tokenledger.orchestrator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenledger.orchestrator.keys.ApiKeyStore;
import dev.tokenledger.orchestrator.keys.Scope;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keys stored in PostgreSQL, with scopes and workspaces, against the running service: what each may call, which
 * workspaces it may write and read, and how fast a revocation counts.
 */
class ApiKeyScopesTest {
    private static final String ADMIN = "env-admin-" + UUID.randomUUID();
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static RunningApi running;
    private static ApiKeyStore store;
    private static String writeA;
    private static String readA;
    private static String storedAdmin;
    private static ApiClient admin;

    @BeforeAll
    static void start() {
        running = RunningApi.start("api_key_scopes", ADMIN, Map.of("TOKENLEDGER_LOCAL_ONLY", "false"));
        admin = running.client;
        store = new ApiKeyStore(running.postgres.dataSource(), InstantSource.system());
        writeA = store.create("ingest-a", Set.of(Scope.USAGE_WRITE), Set.of("ws-a"), "test").secret();
        readA = store.create("finance-a", Set.of(Scope.REPORTS_READ), Set.of("ws-a"), "test").secret();
        storedAdmin = store.create("ops", Set.of(Scope.ADMIN), Set.of(), "test").secret();
        // Created after the API started: they count from the key ring's next read (a quarter second).
        for (String key : List.of(writeA, readA, storedAdmin)) {
            await(() -> as(key).get("/v1/meta").status(), s -> s == 200);
        }
    }

    @AfterAll
    static void stop() {
        if (running != null) {
            running.close();
        }
    }

    private static ApiClient as(String key) {
        return new ApiClient(running.api.url(), key);
    }

    @Test
    void everyRouteNeedsTheScopeItsAccessNamesAndNoOtherKeyGetsIn() {
        // The routes and the scope each needs; a route added without a row here fails this test.
        Map<String, Scope> needs = new java.util.HashMap<>();
        needs.put("POST /v1/usage", Scope.USAGE_WRITE);
        needs.put("POST /v1/traces", Scope.USAGE_WRITE);
        needs.put("GET /v1/usage/{event_id}", Scope.REPORTS_READ);
        needs.put("GET /v1/reports/timeseries", Scope.REPORTS_READ);
        needs.put("GET /v1/reports/pricing", Scope.REPORTS_READ);
        needs.put("GET /v1/reports/budgets", Scope.REPORTS_READ);
        needs.put("GET /v1/reports/{by}", Scope.REPORTS_READ);
        needs.put("GET /ui", Scope.REPORTS_READ);
        needs.put("GET /ui/app.js", Scope.REPORTS_READ);
        needs.put("GET /ui/style.css", Scope.REPORTS_READ);
        needs.put("GET /metrics", Scope.ADMIN);
        needs.put("GET /v1/budgets", Scope.ADMIN);
        needs.put("GET /v1/budgets/{name}", Scope.ADMIN);
        needs.put("PUT /v1/budgets/{name}", Scope.ADMIN);
        needs.put("DELETE /v1/budgets/{name}", Scope.ADMIN);
        needs.put("GET /v1/budgets/check", Scope.USAGE_WRITE);
        needs.put("GET /v1/meta", null);
        needs.put("GET /readyz", null);
        needs.put("GET /openapi.json", null);
        needs.put("GET /healthz", null);
        List<String> served = running.api.routes().stream().map(r -> r.method() + " " + r.path()).toList();
        assertThat(needs.keySet()).as("every route the API serves has its row here")
                .containsExactlyInAnyOrderElementsOf(served);

        Map<Scope, String> keyWith = Map.of(Scope.USAGE_WRITE, writeA, Scope.REPORTS_READ, readA, Scope.ADMIN,
                storedAdmin);
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Scope> route : needs.entrySet()) {
            String method = route.getKey().split(" ")[0];
            String path = route.getKey().split(" ")[1].replace("{event_id}", UUID.randomUUID().toString())
                    .replace("{by}", "model").replace("{name}", "no-such-budget");
            for (Scope held : Scope.values()) {
                int status = call(as(keyWith.get(held)), method, path);
                boolean allowed = route.getValue() == null || held == Scope.ADMIN || held == route.getValue();
                boolean admitted = status != 401 && status != 403;
                if (allowed != admitted) {
                    wrong.add(route.getKey() + " with a " + held.wireName + " key: " + status);
                }
            }
            int anonymous = call(as(null), method, path);
            if (!route.getKey().equals("GET /healthz") && anonymous != 401) {
                wrong.add(route.getKey() + " without a key: " + anonymous);
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void aWriteKeyRecordsItsWorkspaceAndIsRefusedAnotherNamingIt() {
        JsonNode mine = UsageJson.event("ws-a");
        JsonNode theirs = UsageJson.event("ws-b");
        ApiClient.Reply mixed = as(writeA).post("/v1/usage", UsageJson.array(mine, theirs));
        assertThat(mixed.status()).isEqualTo(207);
        JsonNode results = mixed.json().get("results");
        assertThat(results.get(0).get("status").asText()).isEqualTo("accepted");
        assertThat(results.get(1).get("status").asText()).isEqualTo("rejected");
        assertThat(results.get(1).get("errors").get(0).get("field").asText()).isEqualTo("workspace_id");
        assertThat(results.get(1).get("errors").get(0).get("problem").asText()).contains("'ws-b'");

        ApiClient.Reply refused = as(writeA).post("/v1/usage", UsageJson.event("ws-b"));
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.body()).contains("ws-b");
    }

    @Test
    void aReadKeySeesOnlyItsWorkspacesInEveryReportAndEventCost() {
        JsonNode a = UsageJson.event("ws-a");
        JsonNode b = UsageJson.event("ws-b");
        assertThat(admin.post("/v1/usage", UsageJson.array(a, b)).status()).isEqualTo(202);
        String bId = b.get("event_id").asText();
        String aId = a.get("event_id").asText();
        await(() -> admin.get("/v1/usage/" + bId).status(), s -> s == 200);
        await(() -> admin.get("/v1/usage/" + aId).status(), s -> s == 200);

        ApiClient reader = as(readA);
        JsonNode byWorkspace = reader.get("/v1/reports/workspace").json();
        List<String> keys = new ArrayList<>();
        byWorkspace.get("lines").forEach(l -> keys.add(l.get("key").asText()));
        assertThat(keys).containsExactly("ws-a");
        assertThat(admin.get("/v1/reports/workspace").body()).contains("ws-b");

        ApiClient.Reply asked = reader.get("/v1/reports/model?workspace=ws-b");
        assertThat(asked.status()).isEqualTo(403);
        assertThat(asked.body()).contains("ws-b");
        assertThat(reader.get("/v1/reports/model?workspace=ws-a").status()).isEqualTo(200);

        assertThat(reader.get("/v1/reports/timeseries?series=workspace").body()).contains("ws-a")
                .doesNotContain("ws-b");
        assertThat(reader.get("/v1/reports/pricing").json().get("events").asLong())
                .isLessThan(admin.get("/v1/reports/pricing").json().get("events").asLong());

        assertThat(reader.get("/v1/usage/" + aId).status()).isEqualTo(200);
        assertThat(reader.get("/v1/usage/" + bId).status()).as("another workspace's event is absent").isEqualTo(404);

        // The usage page takes the key as a browser sends it (Basic, the key as the password).
        String basic = Base64.getEncoder().encodeToString(("finance:" + readA).getBytes(StandardCharsets.UTF_8));
        assertThat(as(null).send(HttpRequest.newBuilder(running.api.url().resolve("/ui"))
                .header("Authorization", "Basic " + basic).GET()).status()).isEqualTo(200);
    }

    @Test
    void aRevokedKeyIsRefusedWithinASecondAndTheLastUseIsRecorded() {
        String key = store.create("short-lived", Set.of(Scope.REPORTS_READ), Set.of(), "test").secret();
        // A new key counts at the ring's next read, as a revoked one stops counting.
        await(() -> as(key).get("/v1/reports/model").status(), s -> s == 200);
        // Revoked through another store, as another process (the CLI) would.
        new ApiKeyStore(running.postgres.dataSource(), InstantSource.system()).revoke("short-lived", "test");
        long revokedAt = System.nanoTime();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(1)).pollInSameThread().pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(20)).until(() -> as(key).get("/v1/reports/model").status() == 401);
        assertThat(Duration.ofNanos(System.nanoTime() - revokedAt)).isLessThanOrEqualTo(Duration.ofSeconds(1));

        await(() -> store.list(true).stream().filter(k -> k.name().equals("short-lived")).findFirst().orElseThrow()
                .lastUsedAt(), t -> t != null);
    }

    @Test
    void apiKeysDoNotOpenJobRunrsDashboardWhichKeepsItsOwnPassword() {
        URI dashboard = URI.create("http://localhost:" + running.ledger.config().dashboard().port()
                + "/api/jobs?state=SUCCEEDED");
        for (String key : List.of(storedAdmin, ADMIN)) {
            String basic = Base64.getEncoder().encodeToString((running.ledger.config().dashboard().user() + ":" + key)
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(as(null).send(HttpRequest.newBuilder(dashboard).header("Authorization", "Basic " + basic).GET())
                    .status()).isEqualTo(401);
            assertThat(as(null).send(HttpRequest.newBuilder(dashboard).header("Authorization", "Bearer " + key).GET())
                    .status()).isEqualTo(401);
        }
    }

    private static int call(ApiClient client, String method, String path) {
        return switch (method) {
            case "POST" -> client.post(path, "[]").status();
            case "PUT" -> client.put(path, "{}").status();
            case "DELETE" -> client.delete(path).status();
            default -> client.get(path).status();
        };
    }

    private static <T> T await(Supplier<T> probe, java.util.function.Predicate<T> done) {
        return org.awaitility.Awaitility.await().atMost(DEADLINE).pollInSameThread().pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(50)).until(probe::get, done::test);
    }
}
