package dev.tokenledger.postgres;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/** The Testcontainers path, taken where a Docker engine exists (developer laptops, hosted CI). */
final class DockerPostgres {
    private DockerPostgres() {
    }

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    static TestPostgres.Server start() {
        PostgreSQLContainer container = new PostgreSQLContainer("postgres:17");
        container.start();
        Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
        String url = container.getJdbcUrl();
        String base = url.substring(0, url.lastIndexOf('/') + 1);
        System.out.println("[TestPostgres] using a Testcontainers PostgreSQL 17");
        return new TestPostgres.Server(base, container.getUsername(), container.getPassword(),
                "Testcontainers PostgreSQL 17");
    }
}
