package dev.tokenledger.usage;

import java.math.BigDecimal;
import java.net.URI;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** The budgets kept in PostgreSQL ({@code budget}): set (insert or replace by name), list, find, delete. Thread-safe. */
public final class BudgetStore {
    private static final String COLUMNS = "name, workspace_id, user_id, agent_id, model_prefix, period, time_zone,"
            + " limit_usd, thresholds, hard, webhook_url";

    private final DataSource dataSource;

    public BudgetStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Inserts the budget, or replaces the one of that name; answers whether it was new. */
    public boolean put(Budget b) {
        String sql = "INSERT INTO budget (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (name) DO UPDATE SET workspace_id = excluded.workspace_id, user_id = excluded.user_id,"
                + " agent_id = excluded.agent_id, model_prefix = excluded.model_prefix, period = excluded.period,"
                + " time_zone = excluded.time_zone, limit_usd = excluded.limit_usd, thresholds = excluded.thresholds,"
                + " hard = excluded.hard, webhook_url = excluded.webhook_url, updated_at = now()"
                + " RETURNING (xmax = 0) AS inserted";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, b.name());
            ps.setString(2, b.workspace());
            ps.setString(3, b.user());
            ps.setString(4, b.agent());
            ps.setString(5, b.modelPrefix());
            ps.setString(6, b.period().label());
            ps.setString(7, b.zone().getId());
            ps.setBigDecimal(8, b.limitUsd());
            ps.setArray(9, c.createArrayOf("numeric", b.thresholds().toArray()));
            ps.setBoolean(10, b.hard());
            if (b.webhookUrl() == null) {
                ps.setNull(11, Types.VARCHAR);
            } else {
                ps.setString(11, b.webhookUrl().toString());
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not store budget '" + b.name() + "': " + e.getMessage(), e);
        }
    }

    public List<Budget> list() {
        return query("SELECT " + COLUMNS + " FROM budget ORDER BY name", null);
    }

    public Optional<Budget> find(String name) {
        return query("SELECT " + COLUMNS + " FROM budget WHERE name = ?", name).stream().findFirst();
    }

    /** Deletes the budget (its fired alerts stay, as history); answers whether one was there. */
    public boolean delete(String name) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM budget WHERE name = ?")) {
            ps.setString(1, name);
            return ps.executeUpdate() > 0;
        } catch (SQLException e) {
            throw new IllegalStateException("could not delete budget '" + name + "': " + e.getMessage(), e);
        }
    }

    private List<Budget> query(String sql, String name) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            if (name != null) {
                ps.setString(1, name);
            }
            List<Budget> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(read(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("could not read budgets: " + e.getMessage(), e);
        }
    }

    private static Budget read(ResultSet rs) throws SQLException {
        Array a = rs.getArray("thresholds");
        List<BigDecimal> thresholds = Arrays.stream((Object[]) a.getArray()).map(o -> (BigDecimal) o).toList();
        String url = rs.getString("webhook_url");
        return new Budget(rs.getString("name"), rs.getString("workspace_id"), rs.getString("user_id"),
                rs.getString("agent_id"), rs.getString("model_prefix"), Budget.Period.parse(rs.getString("period")),
                ZoneId.of(rs.getString("time_zone")), rs.getBigDecimal("limit_usd").stripTrailingZeros(), thresholds,
                rs.getBoolean("hard"), url == null ? null : URI.create(url));
    }
}
