package dev.tokenledger.orchestrator.http;

import dev.tokenledger.clickhouse.ClickHouseException;
import dev.tokenledger.orchestrator.ConfigException;
import dev.tokenledger.orchestrator.HealthChecks;
import dev.tokenledger.orchestrator.Ledger;
import dev.tokenledger.orchestrator.LedgerConfig;
import dev.tokenledger.orchestrator.keys.ApiKeyStore;
import dev.tokenledger.orchestrator.keys.KeyRing;
import dev.tokenledger.usage.RecordFailedException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Header;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import io.javalin.router.Endpoint;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API on Javalin: record usage (as events, or as OpenTelemetry GenAI spans over OTLP/HTTP), explain one
 * event's cost, read reports, health, metrics and its own
 * OpenAPI description ({@code openapi.json}, kept in step with the routes by a test). Every route but {@code /healthz}
 * needs an API key with the scope its {@link Access} names, and answers only for the workspaces the key may touch,
 * unless the API runs open on a local-only machine (see {@link ApiKeys}); an open API listens on 127.0.0.1 only.
 */
public final class HttpApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    static final int RETRY_AFTER_SECONDS = 5;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    static final String VERSION = "0.1.0";

    /** What the usage page needs to know about the service. */
    record Meta(String version, int dashboardPort) {
    }

    /** A route Javalin serves. */
    record Route(String method, String path) {
    }

    private final Javalin app;
    private final LedgerMetrics metrics;
    private final KeyRing ring;
    private final List<Route> routes;

    private HttpApi(Javalin app, LedgerMetrics metrics, KeyRing ring, List<Route> routes) {
        this.app = app;
        this.metrics = metrics;
        this.ring = ring;
        this.routes = routes;
    }

    /**
     * The route's access; a route registered without one needs an admin key (a route someone forgets to classify
     * stays closed rather than open to every key).
     */
    private static Access access(Context ctx) {
        for (var role : ctx.routeRoles()) {
            if (role instanceof Access a) {
                return a;
            }
        }
        return Access.ADMIN;
    }

    /**
     * Throws {@link dev.tokenledger.orchestrator.ConfigException} when the API would run without keys on
     * a machine not declared local-only; {@code serve} asks before it starts anything else.
     */
    public static void requireCredentials(LedgerConfig.Http config, boolean storedKeys) {
        if (config.apiKeys().isEmpty() && !storedKeys && !config.localOnly()) {
            throw new ConfigException("TOKENLEDGER_API_KEYS is not set and no key is stored: the HTTP API will not"
                    + " start without API keys (create one with ./tokenledger keys create) unless"
                    + " TOKENLEDGER_LOCAL_ONLY=true says this machine is local-only");
        }
    }

    /** Starts serving on {@code TOKENLEDGER_HTTP_PORT} (0: any free port). */
    public static HttpApi start(Ledger ledger) {
        return start(ledger, true);
    }

    /**
     * What a worker process serves, on {@code TOKENLEDGER_WORKER_PORT}: {@code /healthz}, {@code /readyz} and
     * {@code /metrics} only, under the same keys as the API (a worker records nothing and reports nothing).
     */
    public static HttpApi startOperations(Ledger ledger) {
        return start(ledger, false);
    }

    private static HttpApi start(Ledger ledger, boolean api) {
        LedgerConfig.Http config = ledger.config().http();
        KeyRing ring = new KeyRing(config.apiKeys(), new ApiKeyStore(ledger.postgres().dataSource(), ledger.clock()),
                ledger.clock());
        ApiKeys keys;
        try {
            keys = ApiKeys.of(config, ring);
        } catch (RuntimeException e) {
            ring.close();
            throw e;
        }
        String host = keys.open() ? "127.0.0.1" : "0.0.0.0";
        byte[] openApi = resource("/openapi.json");
        byte[] uiPage = resource("/ui/index.html");
        byte[] uiScript = resource("/ui/app.js");
        byte[] uiStyle = resource("/ui/style.css");
        Meta meta = new Meta(VERSION, ledger.config().dashboard().port());
        LedgerMetrics metrics = new LedgerMetrics(ledger);
        UsageEndpoint usage = new UsageEndpoint(ledger.recorder(), metrics, config.maxBodyBytes());
        // A span that names no workspace takes its key's, when the key may write exactly one; a span for a workspace
        // the key may not write is refused alone, as an event of POST /v1/usage is.
        TracesEndpoint traces = new TracesEndpoint(ledger.recorder(), metrics, config.maxBodyBytes(),
                ctx -> ApiKeys.principal(ctx).onlyWorkspace(),
                (ctx, event) -> ApiKeys.writeRefusal(ApiKeys.principal(ctx), event.workspaceId()));
        ReportsEndpoint reports = new ReportsEndpoint(ledger.reports());
        UsageCostEndpoint costs = new UsageCostEndpoint(ledger.repricer());
        BudgetsEndpoint budgets = new BudgetsEndpoint(ledger.budgets(), ledger.clock());
        HealthEndpoints health = new HealthEndpoints(new HealthChecks(ledger, ledger.clock()));
        List<Route> routes = Collections.synchronizedList(new ArrayList<>());

        Javalin app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.startup.showOldJavalinVersionWarning = false;
            c.jetty.host = host;
            c.jetty.port = api ? config.port() : config.workerPort();
            c.jetty.modifyServer(server -> {
                // On stop, refuse new requests but let those in flight (a POST waiting on its commit) answer.
                server.insertHandler(new GracefulHandler());
                server.setStopTimeout(STOP_TIMEOUT.toMillis());
            });
            c.http.maxRequestSize = config.maxBodyBytes();
            c.concurrency.useVirtualThreads = true;
            c.jsonMapper(new JavalinJackson(ApiJson.MAPPER, true));
            c.events.handlerAdded(h -> {
                if (h.getHttpMethod().isHttpMethod()) {
                    routes.add(new Route(h.getHttpMethod().name(), h.getPath()));
                }
            });

            c.routes.beforeMatched(ctx -> {
                Access access = access(ctx);
                if (access != Access.OPEN) {
                    keys.admit(ctx, access.scope);
                }
            });
            if (api) {
                c.staticFiles.enableWebjars(); // ECharts for /ui: a public library, served without a key
                c.routes.post("/v1/usage", usage::handle, Access.USAGE_WRITE);
                c.routes.post("/v1/traces", traces::handle, Access.USAGE_WRITE);
                c.routes.get("/v1/usage/{event_id}", costs::handle, Access.REPORTS_READ);
                c.routes.get("/v1/reports/timeseries", reports::timeSeries, Access.REPORTS_READ);
                c.routes.get("/v1/reports/pricing", reports::pricing, Access.REPORTS_READ);
                c.routes.get("/v1/reports/budgets", budgets::burnDowns, Access.REPORTS_READ);
                c.routes.get("/v1/reports/{by}", reports::handle, Access.REPORTS_READ);
                c.routes.get("/v1/budgets", budgets::list, Access.ADMIN);
                c.routes.get("/v1/budgets/check", budgets::check, Access.USAGE_WRITE); // before {name}: first match wins
                c.routes.get("/v1/budgets/{name}", budgets::show, Access.ADMIN);
                c.routes.put("/v1/budgets/{name}", budgets::put, Access.ADMIN);
                c.routes.delete("/v1/budgets/{name}", budgets::delete, Access.ADMIN);
                c.routes.get("/v1/meta", ctx -> ctx.json(meta), Access.ANY_KEY);
                c.routes.get("/ui", ctx -> ctx.contentType("text/html; charset=utf-8").result(uiPage), Access.REPORTS_READ);
                c.routes.get("/ui/app.js", ctx -> ctx.contentType("text/javascript; charset=utf-8").result(uiScript),
                        Access.REPORTS_READ);
                c.routes.get("/ui/style.css", ctx -> ctx.contentType("text/css; charset=utf-8").result(uiStyle),
                        Access.REPORTS_READ);
                c.routes.get("/openapi.json", ctx -> ctx.contentType("application/json").result(openApi),
                        Access.ANY_KEY);
            }
            c.routes.get("/healthz", health::live, Access.OPEN);
            c.routes.get("/readyz", health::ready, Access.ANY_KEY);
            c.routes.get("/metrics", ctx -> ctx.contentType(LedgerMetrics.CONTENT_TYPE).result(metrics.scrape()),
                    Access.ADMIN);

            c.routes.exception(ApiException.class, (e, ctx) -> {
                if (e.status == 401) {
                    // A browser opening /ui gets a login prompt (user: anything, password: an API key).
                    ctx.header(Header.WWW_AUTHENTICATE, ctx.path().startsWith("/ui")
                            ? "Basic realm=\"tokenledger\", charset=\"UTF-8\"" : "Bearer realm=\"tokenledger\"");
                }
                ctx.status(e.status).json(e.body);
            });
            // OTLP answers its errors with a google.rpc.Status in the request's encoding (see OtlpException).
            c.routes.exception(OtlpException.class, (e, ctx) -> e.answer(ctx));
            c.routes.exception(HttpResponseException.class, (e, ctx) ->
                    ctx.status(e.getStatus()).json(ApiError.of(e.getMessage())));
            c.routes.exception(RecordFailedException.class, (e, ctx) ->
                    unavailable(ctx, "the events could not be made durable: " + e.getMessage()));
            c.routes.exception(ClickHouseException.class, (e, ctx) -> {
                // ClickHouse's own message may name hosts and tables: it goes to the log, not to the client.
                LOG.warn("{} {}: ClickHouse failed: {}", ctx.method(), ctx.path(), e.getMessage());
                unavailable(ctx, "ClickHouse did not answer; retry later (the service log has the details)");
            });
            c.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
                ctx.status(500).json(ApiError.of("internal error; the service log has the details"));
            });
            c.requestLogger.http((ctx, millis) -> {
                Endpoint matched = ctx.endpoints().matchedHttpEndpoint();
                String route = matched == null ? "unmatched" : matched.path;
                metrics.request(ctx.method().name(), route, ctx.statusCode(), millis);
                LOG.debug("{} {} -> {} in {} ms", ctx.method(), ctx.path(), ctx.statusCode(), millis);
            });
        });
        try {
            app.start();
        } catch (RuntimeException e) {
            metrics.close();
            ring.close();
            throw e;
        }
        HttpApi served = new HttpApi(app, metrics, ring, List.copyOf(routes));
        LOG.info("{} on {} ({})", api ? "HTTP API" : "health and metrics", served.url(),
                keys.open() ? "open: local-only, no API keys" : "API key required");
        return served;
    }

    /** 503 with Retry-After: the client's events or question were fine; a database was not. */
    private static void unavailable(Context ctx, String message) {
        ctx.header(Header.RETRY_AFTER, Integer.toString(RETRY_AFTER_SECONDS)).status(503).json(ApiError.of(message));
    }

    private static byte[] resource(String name) {
        try (InputStream in = HttpApi.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return app.port();
    }

    /** Where clients reach the API from this machine. */
    public URI url() {
        return URI.create("http://localhost:" + port());
    }

    List<Route> routes() {
        return routes;
    }

    /** Stops accepting requests; requests in flight get up to 10 s to answer (Jetty's graceful stop). */
    @Override
    public void close() {
        app.stop();
        metrics.close();
        ring.close();
    }
}
