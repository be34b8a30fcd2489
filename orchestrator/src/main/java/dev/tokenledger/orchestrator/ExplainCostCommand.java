package dev.tokenledger.orchestrator;

import dev.tokenledger.usage.CostExplanation;
import dev.tokenledger.usage.EventCost;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "explain-cost", mixinStandardHelpOptions = true,
        description = {"Where one event's cost comes from: the event as llm_usage holds it, its written cost and the"
                + " price row it was priced with, every adjustment reprice runs appended (with the run and its reason),"
                + " and its current cost (written + adjustments). --json: the same as GET /v1/usage/{event_id}.",
                "Exit codes: 0 found, 1 no such event in llm_usage, 2 a usage error."})
final class ExplainCostCommand implements Callable<Integer> {
    private final LedgerOpener ledgers;

    @Spec
    CommandSpec spec;

    @Option(names = "--event-id", required = true, paramLabel = "ID", description = "the event's event_id (a UUID)")
    UUID eventId;

    @Option(names = "--json", description = "print it as JSON (money as exact decimal strings)")
    boolean json;

    ExplainCostCommand(LedgerOpener ledgers) {
        this.ledgers = ledgers;
    }

    ExplainCostCommand() {
        this(LedgerOpener.FROM_ENVIRONMENT);
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
            Optional<CostExplanation> found = ledger.repricer().explain(eventId);
            if (found.isEmpty()) {
                spec.commandLine().getErr().println("tokenledger explain-cost: " + CostExplanationJson.notFound(eventId));
                return 1;
            }
            if (json) {
                out.println(Output.json(CostExplanationJson.of(found.get())));
            } else {
                print(out, found.get());
            }
            return 0;
        }
    }

    static void print(PrintWriter out, CostExplanation x) {
        Map<String, Object> e = x.event();
        out.println("event " + x.eventId() + " at " + x.eventTime());
        out.println("  model " + e.get("model") + orNone(" (", e.get("provider"), ")") + ", user " + e.get("user_id")
                + ", workspace " + e.get("workspace_id") + orNone(", agent ", e.get("agent_id"), "")
                + orNone(", session ", e.get("session_id"), "") + ", tier " + e.get("service_tier")
                + orNone(", inference geo ", e.get("inference_geo"), ""));
        out.println("  tokens: prompt " + tokens(e, "prompt_tokens") + " (cached " + tokens(e, "cached_tokens")
                + ", cache writes " + tokens(e, "cache_creation_tokens") + " + " + tokens(e, "cache_creation_1h_tokens")
                + " 1h, audio " + tokens(e, "audio_prompt_tokens") + ", image " + tokens(e, "image_prompt_tokens")
                + "), completion " + tokens(e, "completion_tokens") + " (reasoning " + tokens(e, "thoughts_tokens")
                + ", audio " + tokens(e, "audio_completion_tokens") + ", image " + tokens(e, "image_completion_tokens")
                + "), tool-use prompt " + tokens(e, "tool_use_prompt_tokens") + ", total " + tokens(e, "total_tokens"));
        StringBuilder extras = new StringBuilder();
        for (String f : List.of("web_search_requests", "input_images", "output_images", "input_audio_seconds",
                "input_video_seconds", "output_audio_seconds", "output_video_seconds")) {
            if (e.get(f) instanceof Number n && n.doubleValue() != 0) {
                extras.append(extras.isEmpty() ? "" : ", ").append(f).append(' ')
                        .append(n instanceof BigDecimal d ? d.stripTrailingZeros().toPlainString() : n.toString());
            }
        }
        if (!extras.isEmpty()) {
            out.println("  billed besides tokens: " + extras);
        }
        out.println("written by batch " + e.get("batch_id") + " at " + e.get("ingested_at") + ": "
                + priced(x.writtenStatus(), x.writtenPricingModel(), x.writtenPricingId(), x.writtenOverrideId(),
                x.writtenBasis()));
        if (x.adjustments().isEmpty()) {
            out.println("adjustments: none (the written cost is the current cost)");
        } else {
            out.println("adjustments (" + x.adjustments().size() + "):");
            for (CostExplanation.Entry a : x.adjustments()) {
                out.println("  run " + a.runId() + " at " + a.adjustedAt() + ", requested by " + a.requestedBy() + ": "
                        + a.reason());
                out.println("    -> " + priced(a.status(), a.pricingModel(), a.pricingId(), a.overrideId(), a.basis())
                        + ", cost_usd "
                        + Output.delta(a.deltas().getOrDefault("cost_usd", BigDecimal.ZERO))
                        + (a.unpricedDelta() < 0 ? ", no longer unpriced" : a.unpricedDelta() > 0 ? ", now unpriced" : ""));
            }
        }
        Set<String> components = new LinkedHashSet<>(x.written().keySet());
        components.addAll(x.current().keySet());
        x.adjustments().forEach(a -> components.addAll(a.deltas().keySet()));
        if (!components.isEmpty()) {
            out.println();
            out.print(components(x, components));
        }
        out.println("current: " + x.currentStatus() + (x.current().isEmpty() ? " (cost unknown)"
                : ", " + Output.exact(x.current().get("cost_usd")) + " USD"));
    }

    /** Each cost component: written, each adjustment's delta, current. */
    private static Output.Table components(CostExplanation x, Set<String> components) {
        List<String> header = new ArrayList<>(List.of("USD", "written"));
        x.adjustments().forEach(a -> header.add("run " + a.runId()));
        header.add("current");
        Output.Table t = new Output.Table(header.toArray(String[]::new));
        for (String c : components) {
            List<String> row = new ArrayList<>();
            row.add(c);
            row.add(x.written().isEmpty() ? "unpriced" : Output.exact(x.written().get(c)));
            x.adjustments().forEach(a -> row.add(Output.delta(a.deltas().getOrDefault(c, BigDecimal.ZERO))));
            row.add(x.current().isEmpty() ? "unpriced" : Output.exact(x.current().get(c)));
            t.row(row.toArray(String[]::new));
        }
        return t;
    }

    private static String priced(String status, String pricingModel, long pricingId, long overrideId,
                                 EventCost.Basis basis) {
        if (status.equals("unpriced")) {
            return "unpriced" + orNone(" (", basis.unpricedReason(), ")");
        }
        return status + (pricingModel == null || pricingModel.isEmpty() ? "" : " as " + pricingModel)
                + orNone(" (name matched: ", basis.match(), ")")
                + (pricingId == 0 ? "" : " (model_pricing #" + pricingId + ")")
                + (overrideId == 0 ? "" : " (override #" + overrideId + ")")
                + orNone(", flagged: ", basis.flags(), "");
    }

    private static String tokens(Map<String, Object> event, String column) {
        Object v = event.get(column);
        return v instanceof Number n ? Output.count(n.longValue()) : String.valueOf(v);
    }

    private static String orNone(String before, Object value, String after) {
        return value == null || value.toString().isEmpty() ? "" : before + value + after;
    }
}
