package dev.tokenledger.usage;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jobrunr.server.BackgroundJobServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JobRunr OSS stops its background server for good after a few storage errors in a row (a database
 * outage). This watches it and starts it again once PostgreSQL answers, so processing resumes by
 * itself without a process restart.
 *
 * <p>Runs on its own daemon thread until closed.
 */
public final class JobServerWatchdog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobServerWatchdog.class);

    private final BackgroundJobServer server;
    private final DataSource dataSource;
    private final ScheduledExecutorService timer;
    private volatile boolean restarts;
    private volatile long restartCount;

    JobServerWatchdog(BackgroundJobServer server, DataSource dataSource, Duration interval) {
        this.server = server;
        this.dataSource = dataSource;
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("jobrunr-watchdog")
                .daemon(true).factory());
        this.restarts = true;
        timer.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** How many times the server had to be started again. */
    public long restartCount() {
        return restartCount;
    }

    void check() {
        if (!restarts || server.isRunning()) {
            return;
        }
        if (!databaseAnswers()) {
            return;
        }
        try {
            LOG.warn("JobRunr's background server has stopped; PostgreSQL answers again, starting it");
            server.start();
            restartCount++;
        } catch (RuntimeException e) {
            LOG.warn("could not restart JobRunr's background server (will retry): {}", e.toString());
        }
    }

    private boolean databaseAnswers() {
        try (Connection c = dataSource.getConnection()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    /** Stops watching (call before stopping the server on purpose). */
    @Override
    public void close() {
        restarts = false;
        timer.shutdownNow();
    }
}
