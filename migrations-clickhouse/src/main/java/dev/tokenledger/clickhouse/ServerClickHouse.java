package dev.tokenledger.clickhouse;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.ServerException;
import com.clickhouse.client.api.command.CommandSettings;
import com.clickhouse.client.api.insert.InsertSettings;
import com.clickhouse.client.api.query.QueryResponse;
import com.clickhouse.client.api.query.QuerySettings;
import com.clickhouse.data.ClickHouseFormat;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A ClickHouse server over HTTP through the official Java client (client-v2). One {@link Client} per
 * instance, shared by all threads (it is thread-safe and pools connections). Queries ask for
 * {@code TabSeparatedWithNames} (or {@code RowBinaryWithNamesAndTypes}, for {@link #queryRowBinary}) and are
 * parsed exactly like the embedded backend's output; inserts send the batch's RowBinaryWithNamesAndTypes
 * bytes with the exactly-once settings.
 *
 * <p>The client may retry a failed request on its own and so re-send an insert: harmless, because every
 * insert carries its deduplication token.
 */
public final class ServerClickHouse implements ClickHouse {

    /**
     * Where and how to connect. Timeouts are always finite: the client's socket timeout defaults to
     * "wait forever". {@link #toString()} never shows the password.
     *
     * @param endpoint                 the HTTP(S) interface, e.g. {@code http://localhost:8123}
     * @param compressServerResponse   ask for LZ4-compressed responses (on for real servers)
     */
    public record Settings(String endpoint, String user, String password, String database,
                           Duration connectTimeout, Duration socketTimeout, Duration executionTimeout,
                           boolean compressServerResponse) {
        public Settings {
            Objects.requireNonNull(endpoint, "endpoint");
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(password, "password");
            Identifiers.requireName(database, "database name");
            requirePositive(connectTimeout, "connectTimeout");
            requirePositive(socketTimeout, "socketTimeout");
            requirePositive(executionTimeout, "executionTimeout");
        }

        /** Defaults: 5 s to connect, 60 s socket and execution timeouts, compressed responses. */
        public static Settings of(String endpoint, String user, String password, String database) {
            return new Settings(endpoint, user, password, database,
                    Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(60), true);
        }

        public Settings withDatabase(String other) {
            return new Settings(endpoint, user, password, other, connectTimeout, socketTimeout, executionTimeout, compressServerResponse);
        }

        public Settings withCompressServerResponse(boolean compress) {
            return new Settings(endpoint, user, password, database, connectTimeout, socketTimeout, executionTimeout, compress);
        }

        private static void requirePositive(Duration d, String name) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
            }
        }

        @Override
        public String toString() {
            return "Settings[endpoint=" + endpoint + ", user=" + user + ", password=" + (password.isEmpty() ? "" : "***")
                    + ", database=" + database + ", connectTimeout=" + connectTimeout + ", socketTimeout=" + socketTimeout
                    + ", executionTimeout=" + executionTimeout + ", compressServerResponse=" + compressServerResponse + "]";
        }
    }

    private final Client client;
    private final Settings settings;
    /** Outer bound on waiting for the client's future, in case its own timeouts do not fire. */
    private final long waitMillis;

    private ServerClickHouse(Client client, Settings settings) {
        this.client = client;
        this.settings = settings;
        this.waitMillis = settings.connectTimeout().plus(settings.executionTimeout()).plus(settings.socketTimeout()).toMillis();
    }

    /** Connects and creates the settings' database if it is missing. */
    public static ServerClickHouse open(Settings settings) {
        Client client = new Client.Builder()
                .addEndpoint(settings.endpoint())
                .setUsername(settings.user())
                .setPassword(settings.password())
                .setDefaultDatabase(settings.database())
                .setConnectTimeout(settings.connectTimeout().toMillis(), ChronoUnit.MILLIS)
                .setSocketTimeout(settings.socketTimeout().toMillis(), ChronoUnit.MILLIS)
                .setExecutionTimeout(settings.executionTimeout().toMillis(), ChronoUnit.MILLIS)
                .compressServerResponse(settings.compressServerResponse())
                .setClientName("tokenledger")
                .build();
        ServerClickHouse server = new ServerClickHouse(client, settings);
        try {
            server.createDatabaseIfMissing();
            return server;
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /**
     * Runs in {@code default}, since a request naming a missing database fails. Checks first, so a user
     * allowed to use an existing database but not to create one can still connect.
     */
    private void createDatabaseIfMissing() {
        String quoted = Identifiers.quoted(settings.database(), "database name");
        QuerySettings inDefault = new QuerySettings().setFormat(ClickHouseFormat.TabSeparatedWithNames).setDatabase("default");
        Row exists = TabSeparatedRows.parse(fetch("SELECT count() AS present FROM system.databases WHERE name = {db:String}",
                Map.of("db", settings.database()), inDefault)).getFirst();
        if (exists.int64("present") == 0) {
            CommandSettings create = new CommandSettings();
            create.setDatabase("default");
            release(await(() -> client.execute("CREATE DATABASE IF NOT EXISTS " + quoted, create)));
        }
    }

    @Override
    public void execute(String sql) {
        release(await(() -> client.execute(sql)));
    }

    @Override
    public List<Row> query(String sql, Map<String, String> params) {
        QuerySettings tsv = new QuerySettings().setFormat(ClickHouseFormat.TabSeparatedWithNames);
        return TabSeparatedRows.parse(fetch(sql, new LinkedHashMap<>(QueryParameters.escaped(params)), tsv));
    }

    /** Reads the whole result before decoding it: the connection goes back to the pool at once. */
    @Override
    public RowBinaryResult queryRowBinary(String sql, Map<String, String> params) {
        return RowBinaryResult.parse(fetch(RowBinaryResult.requireNoOtherFormat(sql),
                new LinkedHashMap<>(QueryParameters.escaped(params)),
                new QuerySettings().setFormat(ClickHouseFormat.RowBinaryWithNamesAndTypes)));
    }

    /** Runs a query and reads its whole output, releasing the connection whatever happens. */
    private byte[] fetch(String sql, Map<String, Object> params, QuerySettings querySettings) {
        QueryResponse response = await(() -> client.query(sql, params, querySettings));
        try (InputStream body = response.getInputStream()) {
            return body.readAllBytes();
        } catch (IOException e) {
            throw new ClickHouseException("reading the result from " + settings.endpoint() + " failed: " + e.getMessage(), null, e);
        } finally {
            release(response);
        }
    }

    /**
     * Sends the batch as RowBinaryWithNamesAndTypes with {@code insert_deduplication_token} and the
     * other exactly-once settings as server settings of this request only.
     */
    @Override
    public void insert(InsertBatch batch) {
        InsertSettings insertSettings = new InsertSettings().setDeduplicationToken(batch.deduplicationToken());
        ExactlyOnceSettings.PINNED.forEach(insertSettings::serverSetting);
        ExactlyOnceSettings.extras(batch).forEach(insertSettings::serverSetting);
        String table = Identifiers.requireName(batch.table(), "table name");
        // written_rows counts a deduplicated retry too, so the response holds nothing worth reading
        release(await(() -> client.insert(table, new ByteArrayInputStream(batch.rowBinary()),
                ClickHouseFormat.RowBinaryWithNamesAndTypes, insertSettings)));
    }

    @Override
    public String version() {
        return query("SELECT version() AS version").getFirst().string("version");
    }

    @Override
    public Backend backend() {
        return Backend.SERVER;
    }

    @Override
    public String database() {
        return settings.database();
    }

    @Override
    public void close() {
        client.close();
    }

    @Override
    public String toString() {
        return "ServerClickHouse[" + settings.endpoint() + ", " + settings.database() + "]";
    }

    /** Waits for the client and maps its failures: a server error keeps ClickHouse's code, anything else has none. */
    private <T> T await(Supplier<CompletableFuture<T>> request) {
        CompletableFuture<T> future;
        try {
            future = request.get();
        } catch (RuntimeException e) {
            throw translate(e);
        }
        try {
            return future.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw translate(e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new ClickHouseException("no answer from " + settings.endpoint() + " within " + waitMillis + " ms", null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClickHouseException("interrupted while waiting for " + settings.endpoint(), null, e);
        }
    }

    /** Releases a response's connection back to the pool. */
    private void release(AutoCloseable response) {
        try {
            response.close();
        } catch (Exception e) {
            throw new ClickHouseException("releasing a response from " + settings.endpoint() + " failed: " + e.getMessage(), null, e);
        }
    }

    private ClickHouseException translate(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ServerException server) {
                return new ClickHouseException(server.getMessage(), server.getCode(), server);
            }
        }
        return new ClickHouseException("request to " + settings.endpoint() + " failed: " + failure.getMessage(), null, failure);
    }
}
