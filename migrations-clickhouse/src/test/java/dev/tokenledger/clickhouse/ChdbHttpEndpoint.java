package dev.tokenledger.clickhouse;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ClickHouse's HTTP interface, served from the chDB engine inside the test JVM, so that the official
 * client ({@link ServerClickHouse}) runs its real code against a real ClickHouse engine where no server
 * can be started. It is a transport shim: it maps each request onto one chDB call and adds no behaviour.
 *
 * <p>Mapping, per request ({@code POST /}, or {@code GET /ping}):
 * <ul>
 *   <li>A fresh chDB connection is opened for the request and closed after it. Every URL parameter that
 *       is a ClickHouse setting ({@code insert_deduplication_token}, {@code async_insert}, ...) becomes a
 *       setting of that connection, exactly as the server applies it to that one query; nothing sticks.</li>
 *   <li>{@code X-ClickHouse-Database} (or {@code database=}) is the connection's current database.</li>
 *   <li>{@code param_<name>} parameters are bound to {@code {name:Type}} placeholders by chDB.</li>
 *   <li>The SQL is the {@code query=} parameter when there is one, else the body. With both, the body is
 *       insert data: {@code INSERT INTO t FORMAT F} becomes a chDB streaming insert of the body in
 *       format F.</li>
 *   <li>The output format is {@code X-ClickHouse-Format} (or {@code default_format=}), unless the SQL ends
 *       with its own FORMAT clause; whichever is used is echoed in {@code X-ClickHouse-Format}, which
 *       the client uses to pick its reader.</li>
 *   <li>An engine error is HTTP 500 with {@code X-ClickHouse-Exception-Code} and the message as body.</li>
 * </ul>
 * Responses are never compressed: build the client with {@code compressServerResponse(false)}. A request
 * asking for ClickHouse's own compression is refused with a message saying so. Credentials are
 * accepted and ignored (and never logged).
 */
public final class ChdbHttpEndpoint implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChdbHttpEndpoint.class);

    /** URL parameters that steer the HTTP exchange itself and are not settings of the query. */
    private static final Set<String> TRANSPORT_PARAMETERS = Set.of("query", "database", "default_format",
            "query_id", "session_id", "session_timeout", "session_check", "user", "password", "quota_key",
            "compress", "decompress", "enable_http_compression", "wait_end_of_query", "buffer_size",
            "http_wait_end_of_query", "send_progress_in_http_headers", "role");
    private static final Pattern INSERT_WITH_FORMAT =
            Pattern.compile("(?is)^\\s*(INSERT\\s+INTO\\s+.+?)\\s+FORMAT\\s+([A-Za-z0-9_]+)\\s*;?\\s*$");
    private static final Pattern TRAILING_FORMAT = Pattern.compile("(?is)\\sFORMAT\\s+([A-Za-z0-9_]+)\\s*;?\\s*$");

    private final ChdbEngine engine;
    private final HttpServer server;
    private final ExecutorService workers;

    private ChdbHttpEndpoint(ChdbEngine engine, int port) throws IOException {
        this.engine = engine;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        // Platform threads: a chDB call is a blocking native call that would pin a virtual thread anyway.
        this.workers = Executors.newFixedThreadPool(8, Thread.ofPlatform().daemon().name("chdb-http-", 0).factory());
        server.setExecutor(workers);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Serves the engine's HTTP interface on a free loopback port. */
    public static ChdbHttpEndpoint start(ChdbEngine engine) {
        return start(engine, 0);
    }

    /**
     * Serves the engine's HTTP interface on loopback port {@code port} (0: any free port). A fixed port lets
     * a ClickHouse process that was killed come back where its clients expect it.
     */
    public static ChdbHttpEndpoint start(ChdbEngine engine, int port) {
        try {
            return new ChdbHttpEndpoint(engine, port);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the chDB HTTP endpoint on port " + port, e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        workers.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (exchange.getRequestURI().getPath().equals("/ping")) {
                respond(exchange, 200, "Ok.\n".getBytes(StandardCharsets.UTF_8), Map.of());
                return;
            }
            Request request = Request.of(exchange);
            log.debug("{} {} params={} settings={} headers={}", exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    request.bound().keySet(), request.settings().stream().map(ChdbEngine.Setting::name).toList(), request.headerNames());
            if (request.asksForCompression()) {
                respondError(exchange, new ClickHouseException("this test endpoint does not compress responses;"
                        + " build the client with compressServerResponse(false)", null, null));
                return;
            }
            try {
                respond(exchange, 200, run(request), Map.of("X-ClickHouse-Format", request.outputFormat()));
            } catch (ClickHouseException e) {
                respondError(exchange, e);
            }
        } catch (RuntimeException e) {
            log.error("chDB HTTP endpoint failed on {}", exchange.getRequestURI().getPath(), e);
            throw e;
        }
    }

    private byte[] run(Request request) throws IOException {
        try (ChdbConnection connection = engine.connect(request.settings())) {
            connection.query("USE " + Identifiers.quoted(request.database(), "database name"), "TSV", Map.of());
            if (request.insertFormat() != null) {
                connection.insert(request.insertPrefix(), request.insertFormat(), request.body());
                return new byte[0];
            }
            return connection.query(request.sql(), request.outputFormat(), request.bound());
        }
    }

    private static void respond(HttpExchange exchange, int status, byte[] body, Map<String, String> headers) throws IOException {
        Headers out = exchange.getResponseHeaders();
        headers.forEach(out::set);
        out.set("X-ClickHouse-Server-Display-Name", "chdb-test-endpoint");
        out.set("X-ClickHouse-Timezone", "UTC");
        out.set("X-ClickHouse-Query-Id", UUID.randomUUID().toString());
        out.set("X-ClickHouse-Summary", "{\"read_rows\":\"0\",\"read_bytes\":\"0\",\"written_rows\":\"0\",\"written_bytes\":\"0\",\"total_rows_to_read\":\"0\",\"result_rows\":\"0\",\"result_bytes\":\"0\",\"elapsed_ns\":\"0\"}");
        out.set("Content-Type", "application/octet-stream");
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(body);
            }
        }
    }

    private static void respondError(HttpExchange exchange, ClickHouseException e) throws IOException {
        int code = e.code().orElse(1001); // 1001 = STD_EXCEPTION, ClickHouse's code for "something else"
        String message = e.getMessage().startsWith("Code:") ? e.getMessage() : "Code: " + code + ". DB::Exception: " + e.getMessage();
        exchange.getResponseHeaders().set("X-ClickHouse-Exception-Code", Integer.toString(code));
        respond(exchange, 500, (message + "\n").getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** One HTTP request, read into what chDB needs. */
    private record Request(String sql, String database, String outputFormat, Map<String, String> bound,
                           List<ChdbEngine.Setting> settings, String insertPrefix, String insertFormat,
                           InputStream body, boolean asksForCompression, Set<String> headerNames) {

        static Request of(HttpExchange exchange) throws IOException {
            Map<String, String> params = decode(exchange.getRequestURI().getRawQuery());
            Headers headers = exchange.getRequestHeaders();
            Map<String, String> bound = new LinkedHashMap<>();
            List<ChdbEngine.Setting> settings = new ArrayList<>();
            params.forEach((name, value) -> {
                if (name.startsWith("param_")) {
                    bound.put(name.substring("param_".length()), value);
                } else if (!TRANSPORT_PARAMETERS.contains(name)) {
                    settings.add(new ChdbEngine.Setting(name, value));
                }
            });
            String database = firstOf(headers.getFirst("X-ClickHouse-Database"), params.get("database"), "default");
            String format = firstOf(headers.getFirst("X-ClickHouse-Format"), params.get("default_format"), "TabSeparated");
            boolean compression = "1".equals(params.get("compress")) || "1".equals(params.get("decompress"))
                    || headers.containsKey("Content-Encoding");
            InputStream body = exchange.getRequestBody();
            String sql = params.get("query");
            if (sql == null) {
                sql = new String(body.readAllBytes(), StandardCharsets.UTF_8);
                body = new ByteArrayInputStream(new byte[0]);
            } else {
                Matcher insert = INSERT_WITH_FORMAT.matcher(sql);
                if (insert.matches()) {
                    return new Request(sql, database, format, bound, settings, insert.group(1), insert.group(2),
                            body, compression, headers.keySet());
                }
                byte[] rest = body.readAllBytes(); // a query split between the parameter and the body
                sql = sql + (rest.length == 0 ? "" : "\n" + new String(rest, StandardCharsets.UTF_8));
                body = new ByteArrayInputStream(new byte[0]);
            }
            Matcher own = TRAILING_FORMAT.matcher(sql);
            if (own.find()) {
                format = own.group(1);
            }
            return new Request(sql, database, format, bound, settings, null, null, body, compression, headers.keySet());
        }

        private static Map<String, String> decode(String rawQuery) {
            Map<String, String> params = new LinkedHashMap<>();
            if (rawQuery == null || rawQuery.isEmpty()) {
                return params;
            }
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                params.put(name, value);
            }
            return params;
        }

        private static String firstOf(String... candidates) {
            for (String c : candidates) {
                if (c != null && !c.isBlank()) {
                    return c;
                }
            }
            throw new IllegalArgumentException("no value");
        }
    }
}
