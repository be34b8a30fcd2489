package dev.tokenledger.clickhouse;

import java.util.ArrayList;
import java.util.List;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.clickhouse.ClickHouseContainer;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * The Testcontainers path of {@link TestServers}: one ClickHouse server container per test JVM, used where a
 * Docker engine exists (developer machines, hosted CI). Kept in its own class so that a module without
 * Testcontainers on its test classpath only loses this path, with a printed reason.
 */
final class ClickHouseContainers {
    /** The server line tokenledger targets; bump deliberately. */
    static final String IMAGE = "clickhouse/clickhouse-server:25.8";

    private ClickHouseContainers() {
    }

    /** Null if a container can be started, else why not. */
    static String whyUnavailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable()
                    ? null
                    : "no Docker engine answers (Testcontainers found no working Docker environment)";
        } catch (NoClassDefFoundError e) {
            return "Testcontainers is not on the test classpath (add org.testcontainers:testcontainers-clickhouse)";
        }
    }

    static TestServers.Target start() {
        ClickHouseContainer container = new ClickHouseContainer(IMAGE);
        container.start(); // stopped by Testcontainers' reaper when the JVM exits
        ServerClickHouse.Settings settings = ServerClickHouse.Settings.of(container.getHttpUrl(),
                container.getUsername(), container.getPassword(), "default");
        return new TestServers.Target("a Testcontainers " + IMAGE + " at " + container.getHttpUrl(), settings, false);
    }

    /**
     * Two ClickHouse servers on one Docker network as the cluster {@code cluster}: two shards of one replica each,
     * {@code internal_replication} on (a Distributed insert goes to one replica, Replicated tables copy it), the
     * first node running the embedded ClickHouse Keeper both use. {@code CLICKHOUSE_SKIP_USER_SETUP} keeps the image's
     * passwordless {@code default} user reachable from the other node, as the cluster's own queries need.
     */
    static List<ServerClickHouse.Settings> startCluster(String cluster) {
        Network network = Network.newNetwork();
        List<GenericContainer<?>> nodes = new ArrayList<>();
        for (int n = 1; n <= 2; n++) {
            GenericContainer<?> node = new GenericContainer<>(DockerImageName.parse(IMAGE))
                    .withNetwork(network)
                    .withNetworkAliases("ch" + n)
                    .withEnv("CLICKHOUSE_SKIP_USER_SETUP", "1")
                    .withCopyToContainer(Transferable.of(clusterConfig(cluster, n)),
                            "/etc/clickhouse-server/config.d/tokenledger-cluster.xml")
                    .withExposedPorts(8123)
                    .waitingFor(Wait.forHttp("/ping").forPort(8123));
            if (n == 1) {
                node.withCopyToContainer(Transferable.of(KEEPER), "/etc/clickhouse-server/config.d/tokenledger-keeper.xml");
            }
            nodes.add(node);
        }
        nodes.parallelStream().forEach(GenericContainer::start); // stopped by Testcontainers' reaper when the JVM exits
        return nodes.stream().map(node -> ServerClickHouse.Settings.of(
                "http://" + node.getHost() + ":" + node.getMappedPort(8123), "default", "", "default")).toList();
    }

    private static String clusterConfig(String cluster, int node) {
        return """
                <clickhouse>
                  <remote_servers>
                    <%1$s>
                      <shard><internal_replication>true</internal_replication>
                        <replica><host>ch1</host><port>9000</port></replica></shard>
                      <shard><internal_replication>true</internal_replication>
                        <replica><host>ch2</host><port>9000</port></replica></shard>
                    </%1$s>
                  </remote_servers>
                  <zookeeper><node><host>ch1</host><port>9181</port></node></zookeeper>
                  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
                  <macros><shard>%2$02d</shard><replica>ch%2$d</replica></macros>
                </clickhouse>
                """.formatted(cluster, node);
    }

    private static final String KEEPER = """
            <clickhouse>
              <keeper_server>
                <tcp_port>9181</tcp_port>
                <server_id>1</server_id>
                <log_storage_path>/var/lib/clickhouse/coordination/log</log_storage_path>
                <snapshot_storage_path>/var/lib/clickhouse/coordination/snapshots</snapshot_storage_path>
                <raft_configuration><server><id>1</id><hostname>ch1</hostname><port>9234</port></server></raft_configuration>
              </keeper_server>
            </clickhouse>
            """;
}
