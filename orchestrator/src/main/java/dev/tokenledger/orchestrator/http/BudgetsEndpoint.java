package dev.tokenledger.orchestrator.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenledger.orchestrator.BudgetJson;
import dev.tokenledger.orchestrator.keys.Principal;
import dev.tokenledger.usage.Budget;
import dev.tokenledger.usage.Budgets;
import dev.tokenledger.usage.InvalidBudgetException;
import io.javalin.http.Context;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;

/**
 * {@code /v1/budgets}: list, show, set (PUT, insert or replace by name) and delete budgets (admin keys, kept to the
 * workspaces the key may touch), and {@code GET /v1/budgets/check}: may this call go ahead? The check needs
 * {@code usage:write} (the key an orchestrator records with; it asks before each LLM call) and answers from memory.
 */
final class BudgetsEndpoint {
    private static final Set<String> BURN_DOWN_PARAMETERS = Set.of("name", "at");

    private final Budgets budgets;
    private final InstantSource clock;

    BudgetsEndpoint(Budgets budgets, InstantSource clock) {
        this.budgets = budgets;
        this.clock = clock;
    }

    void list(Context ctx) {
        Principal p = ApiKeys.principal(ctx);
        ctx.json(budgets.store().list().stream().filter(b -> p.mayTouch(b.workspace()))
                .map(b -> BudgetJson.of(b, budgets.status(b.name()).orElse(null))).toList());
    }

    void show(Context ctx) {
        Budget b = find(ctx);
        ctx.json(BudgetJson.of(b, budgets.status(b.name()).orElse(null)));
    }

    void put(Context ctx) {
        String name = ctx.pathParam("name");
        JsonNode body;
        try {
            body = ApiJson.MAPPER.readTree(ctx.bodyAsBytes());
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the body is not JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw ApiException.badRequest("the body could not be read");
        }
        Budget b;
        try {
            b = BudgetJson.parse(name, body);
        } catch (InvalidBudgetException e) {
            throw new ApiException(400, new ApiError(e.getMessage(), e.field()));
        }
        ApiKeys.requireWorkspace(ctx, b.workspace(), "set budgets of");
        budgets.store().find(name).ifPresent(old -> ApiKeys.requireWorkspace(ctx, old.workspace(), "set budgets of"));
        boolean created = budgets.store().put(b);
        ctx.status(created ? 201 : 200).json(BudgetJson.of(b, null));
    }

    void delete(Context ctx) {
        Budget b = find(ctx);
        budgets.store().delete(b.name());
        ctx.status(204);
    }

    void check(Context ctx) {
        String workspace = ctx.queryParam("workspace");
        if (workspace == null || workspace.isBlank()) {
            throw ApiException.badParameter("workspace", "is required");
        }
        ApiKeys.requireWorkspace(ctx, workspace, "check budgets of");
        ctx.json(BudgetJson.Check.of(budgets.check(workspace, ctx.queryParam("user"), ctx.queryParam("agent"),
                ctx.queryParam("model"))));
    }

    /**
     * {@code GET /v1/reports/budgets}: the burn-down of every budget the key may read (or the one {@code name}s), in
     * the period {@code at} falls in: an instant, or a date meaning that day in each budget's own zone (default: now).
     */
    void burnDowns(Context ctx) {
        ApiException.requireKnownParameters(ctx, BURN_DOWN_PARAMETERS);
        String at = ctx.queryParam("at");
        Principal p = ApiKeys.principal(ctx);
        List<Budget> shown = ctx.queryParam("name") == null
                ? budgets.store().list().stream().filter(b -> p.mayTouch(b.workspace())).toList()
                : List.of(find(ctx, ctx.queryParam("name")));
        ctx.json(shown.stream().map(b -> BudgetJson.BurnDown.of(budgets.burnDown(b, instant(b, at)))).toList());
    }

    private Instant instant(Budget b, String at) {
        if (at == null || at.isBlank()) {
            return clock.instant();
        }
        try {
            return at.length() == 10 ? LocalDate.parse(at).atTime(LocalTime.NOON).atZone(b.zone()).toInstant()
                    : Instant.parse(at);
        } catch (DateTimeParseException e) {
            throw ApiException.badParameter("at", "must be a date (YYYY-MM-DD) or an instant (2026-11-27T14:50:00Z),"
                    + " got '" + EventFields.abbreviate(at) + "'");
        }
    }

    /** The named budget, 404 when absent or in a workspace the key may not touch (its existence is not the key's). */
    private Budget find(Context ctx) {
        return find(ctx, ctx.pathParam("name"));
    }

    private Budget find(Context ctx, String name) {
        Principal p = ApiKeys.principal(ctx);
        return budgets.store().find(name).filter(b -> p.mayTouch(b.workspace()))
                .orElseThrow(() -> new ApiException(404, new ApiError("no budget named '"
                        + EventFields.abbreviate(name) + "'", "name")));
    }
}
