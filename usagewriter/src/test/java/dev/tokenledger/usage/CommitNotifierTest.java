package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Which commits NOTIFY the writers (V29, {@link CommitNotifier}). Notifications reach a listener in commit order, so
 * a test commits, then notifies a marker from a session of its own, and reads what came before the marker.
 */
class CommitNotifierTest {
    private static PostgresDatabase db;
    private Connection listener;
    private Connection marker;

    @BeforeAll
    static void database() {
        db = TestPostgres.freshDatabase("commit_notifier");
    }

    @AfterAll
    static void close() {
        db.close();
    }

    @BeforeEach
    void listen() throws SQLException {
        listener = db.dataSource().getConnection();
        marker = db.dataSource().getConnection();
        try (Statement st = listener.createStatement()) {
            st.execute("LISTEN " + UsageWriter.CHANNEL);
        }
    }

    @AfterEach
    void unlisten() throws SQLException {
        try (Statement st = listener.createStatement()) {
            st.execute("UNLISTEN *");
            st.execute("RESET application_name");
        }
        listener.close();
        marker.close();
    }

    @Test
    void aGroupCommitSendsNoNotificationWhenNoWriterOfAnotherProcessListens() throws SQLException {
        try (UsageRecorder recorder = recorder(RecorderSettings.DEFAULTS)) {
            recorder.record(TestEvents.events(3));
            recorder.record(TestEvents.events(2));
        }

        assertThat(notificationsBeforeTheMarker()).isEmpty();
    }

    @Test
    void aGroupCommitNotifiesWhileAWriterOfAnotherProcessListens() throws SQLException {
        announceAsWriter();
        try (UsageRecorder recorder = recorder(RecorderSettings.DEFAULTS)) {
            recorder.record(TestEvents.events(3));
        }

        assertThat(notificationsBeforeTheMarker()).hasSize(1);
    }

    @Test
    void theWriterOfThisProcessIsNoReasonToNotify() throws SQLException {
        int listenerPid = announceAsWriter();
        try (UsageRecorder recorder = recorder(RecorderSettings.DEFAULTS)) {
            recorder.localWriter(() -> listenerPid);
            recorder.record(TestEvents.events(3));
        }

        assertThat(notificationsBeforeTheMarker()).isEmpty();
    }

    @Test
    void aRecordInsideTheCallersTransactionAlwaysNotifies() throws SQLException {
        try (UsageRecorder recorder = recorder(RecorderSettings.DEFAULTS);
             Connection tx = db.dataSource().getConnection()) {
            tx.setAutoCommit(false);
            recorder.record(tx, TestEvents.events(2));
            tx.commit();
            tx.setAutoCommit(true);
        }

        assertThat(notificationsBeforeTheMarker()).hasSize(1);
    }

    @Test
    void notifyingEveryCommitKeepsTheBehaviourBeforeV29() throws SQLException {
        try (UsageRecorder recorder = recorder(RecorderSettings.DEFAULTS.withNotifyEveryCommit(true))) {
            recorder.record(TestEvents.events(3));
            recorder.record(TestEvents.events(2));
        }

        assertThat(notificationsBeforeTheMarker()).hasSize(2);
    }

    @Test
    void anInsertByHandNotifiesAsBefore() throws SQLException {
        try (Connection admin = db.dataSource().getConnection(); Statement st = admin.createStatement()) {
            st.execute("INSERT INTO usage_event (event_id, event_time, user_id, workspace_id, model, prompt_tokens,"
                    + " completion_tokens, total_tokens) VALUES (gen_random_uuid(), now(), 'u', 'w', 'gpt-4o', 1, 1, 2)");
        }

        assertThat(notificationsBeforeTheMarker()).hasSize(1);
    }

    private static UsageRecorder recorder(RecorderSettings settings) {
        return new UsageRecorder(db.dataSource(), settings, InstantSource.system());
    }

    /** Names the listening session as a writer's; returns its backend pid. */
    private int announceAsWriter() throws SQLException {
        try (Statement st = listener.createStatement()) {
            st.execute("SET application_name = '" + CommitNotifier.LISTENER_APPLICATION + "'");
        }
        return listener.unwrap(PGConnection.class).getBackendPID();
    }

    /** The notifications that arrived before the marker's (in commit order), read until the marker's came. */
    private List<PGNotification> notificationsBeforeTheMarker() throws SQLException {
        int markerPid = marker.unwrap(PGConnection.class).getBackendPID();
        try (Statement st = marker.createStatement()) {
            st.execute("NOTIFY " + UsageWriter.CHANNEL);
        }
        List<PGNotification> before = new ArrayList<>();
        PGConnection pg = listener.unwrap(PGConnection.class);
        while (true) {
            PGNotification[] got = pg.getNotifications(30_000);
            assertThat(got).as("notifications within 30 s (the marker's at least)").isNotEmpty();
            for (PGNotification n : got) {
                if (n.getPID() == markerPid) {
                    return before;
                }
                before.add(n);
            }
        }
    }
}
