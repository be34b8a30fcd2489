package dev.tokenledger.usage;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import org.jobrunr.jobs.annotations.Job;
import org.jobrunr.jobs.lambdas.JobRequestHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one fired budget alert: POSTs its JSON to the budget's {@code webhook_url}, signed with HMAC-SHA256 over
 * the body in {@value #SIGNATURE_HEADER} ({@code sha256=<hex>}). A non-2xx answer or no answer fails the job, and
 * JobRunr retries it with its backoff (visible in the dashboard). Once delivered, {@code budget_alert.delivered_at}
 * is set and a re-run of the job (JobRunr may run a job twice after a crash) sends nothing. The body carries
 * {@code alert_id} (the job id) for receivers that deduplicate.
 */
public final class BudgetAlertJob implements JobRequestHandler<BudgetAlertRequest> {
    public static final String SIGNATURE_HEADER = "X-Tokenledger-Signature";
    private static final Logger LOG = LoggerFactory.getLogger(BudgetAlertJob.class);

    private final DataSource dataSource;
    private final BudgetStore store;
    private final BudgetSettings settings;
    private final HttpClient http;

    public BudgetAlertJob(DataSource dataSource, BudgetSettings settings) {
        this.dataSource = dataSource;
        this.store = new BudgetStore(dataSource);
        this.settings = settings;
        this.http = HttpClient.newBuilder().connectTimeout(settings.webhookTimeout()).build();
    }

    /** {@code sha256=<hex of HMAC-SHA256(secret, body)>}: what {@value #SIGNATURE_HEADER} carries. */
    public static String signature(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    private record Alert(String budget, Instant periodStart, BigDecimal threshold, Instant firedAt, BigDecimal spend,
                         BigDecimal limit, long unpriced, String jobId, boolean delivered) {
    }

    @Override
    @Job(name = "budget_alert", retries = 10)
    public void run(BudgetAlertRequest request) throws Exception {
        Instant periodStart = Instant.parse(request.periodStart());
        BigDecimal threshold = new BigDecimal(request.threshold());
        Optional<Alert> found = load(request.budgetName(), periodStart, threshold);
        if (found.isEmpty() || found.get().delivered()) {
            return;
        }
        Alert a = found.get();
        Optional<Budget> budget = store.find(a.budget());
        if (budget.isEmpty() || budget.get().webhookUrl() == null) {
            markDelivered(a); // nowhere to send it: the gauges and the alert row are the record
            return;
        }
        byte[] body = body(a, budget.get()).getBytes(StandardCharsets.UTF_8);
        HttpRequest.Builder post = HttpRequest.newBuilder(budget.get().webhookUrl())
                .timeout(settings.webhookTimeout())
                .header("Content-Type", "application/json")
                .header("X-Tokenledger-Alert-Id", a.jobId())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (settings.webhookSecret() != null) {
            post.header(SIGNATURE_HEADER, signature(settings.webhookSecret(), body));
        }
        countAttempt(a);
        HttpResponse<Void> response;
        try {
            response = http.send(post.build(), HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            throw new IllegalStateException("budget alert webhook for '" + a.budget() + "' did not answer ("
                    + e.getClass().getSimpleName() + "); JobRunr retries it", e);
        }
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException("budget alert webhook for '" + a.budget() + "' answered "
                    + response.statusCode() + "; JobRunr retries it");
        }
        markDelivered(a);
        LOG.info("budget alert '{}' {} delivered", a.budget(), Budgets.percent(a.threshold()));
    }

    static String body(Alert a, Budget b) {
        return "{\"alert_id\":" + str(a.jobId())
                + ",\"budget\":" + str(a.budget())
                + ",\"workspace\":" + str(b.workspace())
                + ",\"user\":" + str(b.user())
                + ",\"agent\":" + str(b.agent())
                + ",\"model_prefix\":" + str(b.modelPrefix())
                + ",\"period\":" + str(b.period().label())
                + ",\"time_zone\":" + str(b.zone().getId())
                + ",\"period_start\":" + str(a.periodStart().toString())
                + ",\"threshold\":" + str(Budget.plain(a.threshold()).toPlainString())
                + ",\"limit_usd\":" + str(Budget.plain(a.limit()).toPlainString())
                + ",\"spend_usd\":" + str(a.spend().toPlainString())
                + ",\"unpriced_events\":" + a.unpriced()
                + ",\"hard\":" + b.hard()
                + ",\"fired_at\":" + str(a.firedAt().toString()) + "}";
    }

    private static String str(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    private Optional<Alert> load(String budget, Instant periodStart, BigDecimal threshold) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT fired_at, spend_usd, limit_usd, unpriced_events, job_id, delivered_at IS NOT NULL"
                        + " FROM budget_alert WHERE budget_name = ? AND period_start = ? AND threshold = ?")) {
            ps.setString(1, budget);
            ps.setTimestamp(2, Timestamp.from(periodStart));
            ps.setBigDecimal(3, threshold);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Alert(budget, periodStart, threshold, rs.getTimestamp(1).toInstant(),
                        rs.getBigDecimal(2), rs.getBigDecimal(3), rs.getLong(4), rs.getObject(5).toString(),
                        rs.getBoolean(6)));
            }
        }
    }

    private void countAttempt(Alert a) throws SQLException {
        update("UPDATE budget_alert SET attempts = attempts + 1 WHERE job_id = ?::uuid", a);
    }

    private void markDelivered(Alert a) throws SQLException {
        update("UPDATE budget_alert SET delivered_at = now() WHERE job_id = ?::uuid AND delivered_at IS NULL", a);
    }

    private void update(String sql, Alert a) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, a.jobId());
            ps.executeUpdate();
        }
    }
}
