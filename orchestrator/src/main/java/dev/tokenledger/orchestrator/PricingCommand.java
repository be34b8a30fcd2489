package dev.tokenledger.orchestrator;

import dev.tokenledger.pricing.AliasRequest;
import dev.tokenledger.pricing.BilledExtras;
import dev.tokenledger.pricing.CostComponents;
import dev.tokenledger.pricing.CostQuery;
import dev.tokenledger.pricing.FeedSource;
import dev.tokenledger.pricing.ModelAlias;
import dev.tokenledger.pricing.MatchKind;
import dev.tokenledger.pricing.ModelHistory;
import dev.tokenledger.pricing.OverrideRequest;
import dev.tokenledger.pricing.PriceOverride;
import dev.tokenledger.pricing.PriceWindow;
import dev.tokenledger.pricing.PricedCost;
import dev.tokenledger.pricing.PricingFlag;
import dev.tokenledger.pricing.RefreshResult;
import dev.tokenledger.pricing.ServiceTier;
import dev.tokenledger.pricing.TokenUsage;
import dev.tokenledger.usage.Repricer;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "pricing", mixinStandardHelpOptions = true,
        description = "The LiteLLM price book: refresh it, price a call, show a model's price history, manage overrides"
                + " and aliases.",
        subcommands = {PricingCommand.Refresh.class, PricingCommand.Cost.class, PricingCommand.Show.class,
                PricingCommand.Overrides.class, PricingCommand.Aliases.class})
final class PricingCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "refresh", mixinStandardHelpOptions = true,
            description = "Fetch LiteLLM's price file now (as the daily pricing_refresh job does) and apply it, guarded.")
    static final class Refresh implements Callable<Integer> {
        private final LedgerOpener ledgers;

        @Spec
        CommandSpec spec;

        Refresh(LedgerOpener ledgers) {
            this.ledgers = ledgers;
        }

        Refresh() {
            this(LedgerOpener.FROM_ENVIRONMENT);
        }

        @Option(names = "--url", description = "fetch this URL instead of TOKENLEDGER_PRICING_URL")
        URI url;

        @Option(names = "--file", description = "read this local file instead")
        Path file;

        @Option(names = "--json", description = "print the outcome as JSON")
        boolean json;

        @Override
        public Integer call() {
            if (url != null && file != null) {
                throw new IllegalArgumentException("give --url or --file, not both");
            }
            try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
                long lastRun = lastRepriceRun(ledger);
                RefreshResult r = url != null ? ledger.pricing().refresh(new FeedSource.Url(url))
                        : file != null ? ledger.pricing().refresh(new FeedSource.File(file)) : ledger.pricing().refresh();
                PrintWriter out = spec.commandLine().getOut();
                if (json) {
                    out.println(Output.json(r));
                } else {
                    out.println("pricing refresh " + r.outcome() + " from " + r.source()
                            + (r.reason() != null ? ": " + r.reason() : ""));
                    out.println("  models in feed " + r.modelsInFeed() + ", added " + r.added() + ", changed " + r.changed()
                            + ", gone " + r.removed() + ", updated " + r.updated() + ", skipped " + r.skipped());
                    r.skippedEntries().stream().limit(20).forEach(s -> out.println("  skipped " + s.modelKey() + ": "
                            + s.reason()));
                    if (r.added() > 0 || r.changed() > 0) {
                        backPricing(out, ledger, lastRun, "models the refresh added or re-priced");
                    }
                }
                return switch (r.outcome()) {
                    case REFUSED, FAILED -> 1;
                    default -> 0;
                };
            }
        }
    }

    @Command(name = "cost", mixinStandardHelpOptions = true,
            description = "Price one call exactly: every component, the total, and the price row used.")
    static final class Cost implements Callable<Integer> {
        private final LedgerOpener ledgers;

        Cost(LedgerOpener ledgers) {
            this.ledgers = ledgers;
        }

        Cost() {
            this(LedgerOpener.FROM_ENVIRONMENT);
        }

        @Spec
        CommandSpec spec;

        @Option(names = "--model", required = true)
        String model;
        @Option(names = "--provider")
        String provider;
        @Option(names = "--prompt-tokens", required = true, description = "all input tokens, cache reads and writes included")
        long prompt;
        @Option(names = "--completion-tokens", required = true, description = "all output tokens, reasoning included")
        long completion;
        @Option(names = "--cached-tokens", defaultValue = "0")
        long cached;
        @Option(names = "--cache-creation-tokens", defaultValue = "0", description = "cache writes, 5-minute TTL")
        long cacheCreation;
        @Option(names = "--cache-creation-1h-tokens", defaultValue = "0", description = "cache writes, 1-hour TTL")
        long cacheCreation1h;
        @Option(names = "--reasoning-tokens", defaultValue = "0")
        long reasoning;
        @Option(names = "--audio-prompt-tokens", defaultValue = "0")
        long audioPrompt;
        @Option(names = "--audio-completion-tokens", defaultValue = "0")
        long audioCompletion;
        @Option(names = "--tool-use-prompt-tokens", defaultValue = "0")
        long toolUse;
        @Option(names = "--image-prompt-tokens", defaultValue = "0", description = "image input tokens, part of the prompt")
        long imagePrompt;
        @Option(names = "--image-completion-tokens", defaultValue = "0", description = "image output tokens, part of the completion")
        long imageCompletion;
        @Option(names = "--web-search-requests", defaultValue = "0")
        long webSearches;
        @Option(names = "--input-images", defaultValue = "0", description = "input images priced per image")
        long inputImages;
        @Option(names = "--output-images", defaultValue = "0", description = "generated images priced per image")
        long outputImages;
        @Option(names = "--input-audio-seconds", defaultValue = "0")
        BigDecimal inputAudioSeconds;
        @Option(names = "--input-video-seconds", defaultValue = "0")
        BigDecimal inputVideoSeconds;
        @Option(names = "--output-audio-seconds", defaultValue = "0")
        BigDecimal outputAudioSeconds;
        @Option(names = "--output-video-seconds", defaultValue = "0")
        BigDecimal outputVideoSeconds;
        @Option(names = "--inference-geo", defaultValue = "", description = "where the provider ran the call (us, eu)"
                + " when it bills a regional uplift")
        String inferenceGeo;
        @Option(names = "--service-tier", defaultValue = "standard", description = "a tier name as providers send it: standard, default, auto, scale, batch, priority, fast, flex, ...")
        String tier;
        @Option(names = "--at", description = "price as of this instant (ISO-8601, default now)")
        Instant at;
        @Option(names = "--feed", description = "price from this LiteLLM file instead of the book")
        Path feed;
        @Option(names = "--json")
        boolean json;

        @Override
        public Integer call() {
            TokenUsage usage = new TokenUsage(prompt, completion, cached, cacheCreation, cacheCreation1h, audioPrompt,
                    reasoning, audioCompletion, toolUse, ServiceTier.parse(tier), imagePrompt, imageCompletion,
                    new BilledExtras(webSearches, inputImages, outputImages, inputAudioSeconds, inputVideoSeconds,
                            outputAudioSeconds, outputVideoSeconds, inferenceGeo));
            try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
                PricedCost cost = ledger.pricing().cost(new CostQuery(model, provider, at != null ? at : Instant.now(),
                        usage, feed));
                PrintWriter out = spec.commandLine().getOut();
                if (json) {
                    out.println(Output.json(cost));
                } else {
                    print(out, cost);
                }
                return 0;
            }
        }

        private static void print(PrintWriter out, PricedCost c) {
            out.println(c.model() + ": " + c.status() + (c.modelKey() != null ? " as '" + c.modelKey() + "'" : "")
                    + (c.matchedBy() != null && c.matchedBy() != MatchKind.EXACT
                    ? " (name matched: " + c.matchedBy().wireName() + ")" : "")
                    + (c.priceRowId() != null ? " (model_pricing #" + c.priceRowId() + ")" : "")
                    + (c.overrideId() != null ? " (override #" + c.overrideId() + ")" : "")
                    + (c.contextTier() != null ? ", tier " + c.contextTier() : "")
                    + (c.serviceTier() != ServiceTier.STANDARD ? ", service tier " + c.serviceTier() : ""));
            if (!c.isPriced()) {
                out.println("  " + c.unpricedReason() + ": " + c.reason());
                return;
            }
            for (PricingFlag f : c.flags()) {
                out.println("  flagged " + f + ": " + switch (f) {
                    case UNKNOWN_SERVICE_TIER -> "a service tier name no provider documents: standard rates";
                    case SERVICE_TIER_NOT_PRICED -> "the model lists no rates for this service tier: standard rates";
                    case REGIONAL_UPLIFT -> "token rates times the model's regional uplift for the inference geo";
                });
            }
            CostComponents k = c.components();
            Map<String, BigDecimal> parts = new LinkedHashMap<>();
            parts.put("input", k.input());
            parts.put("cached input", k.cachedInput());
            parts.put("cache creation 5m", k.cacheCreation());
            parts.put("cache creation 1h", k.cacheCreation1h());
            parts.put("output", k.output());
            parts.put("reasoning", k.reasoning());
            parts.put("audio input", k.audioInput());
            parts.put("audio output", k.audioOutput());
            parts.put("tool-use prompt", k.toolUsePrompt());
            parts.put("image input tokens", k.imageInput());
            parts.put("image output tokens", k.imageOutput());
            parts.put("images", k.images());
            parts.put("web search", k.webSearch());
            parts.put("audio/video seconds", k.seconds());
            Output.Table t = new Output.Table("component", "USD");
            parts.forEach((name, v) -> t.row(name, v.toPlainString()));
            t.row("total", c.total().toPlainString());
            out.print(t);
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "A model's effective price history and overrides.")
    static final class Show implements Callable<Integer> {
        private final LedgerOpener ledgers;

        Show(LedgerOpener ledgers) {
            this.ledgers = ledgers;
        }

        Show() {
            this(LedgerOpener.FROM_ENVIRONMENT);
        }

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", description = "model name")
        String model;

        @Option(names = "--json")
        boolean json;

        @Override
        public Integer call() {
            try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
                ModelHistory h = ledger.pricing().history(model);
                PrintWriter out = spec.commandLine().getOut();
                if (json) {
                    out.println(Output.json(h));
                    return 0;
                }
                if (h.modelKey() == null && h.overrides().isEmpty()) {
                    out.println(model + ": not in the price book (events for it are recorded as unpriced)");
                    return 1;
                }
                out.println(model + " -> " + h.modelKey() + (h.matchedBy() != null ? " (" + h.matchedBy() + ")" : ""));
                Output.Table t = new Output.Table("valid from", "valid to", "input/token", "output/token", "cache read",
                        "row");
                for (PriceWindow w : h.prices()) {
                    t.row(instant(w.validFrom()), instant(w.validTo()), plain(w.costs().get("input_cost_per_token")),
                            plain(w.costs().get("output_cost_per_token")), plain(w.costs().get("cache_read_input_token_cost")),
                            "#" + w.id() + (w.goneSince() != null ? " (gone from feed since " + w.goneSince() + ")" : ""));
                }
                out.print(t);
                for (PriceOverride o : h.overrides()) {
                    out.println("override #" + o.id() + " " + instant(o.validFrom()) + " .. " + instant(o.validTo()) + ": "
                            + o.costs() + " (" + o.note() + ")");
                }
                return 0;
            }
        }
    }

    @Command(name = "override", mixinStandardHelpOptions = true,
            description = "Admin prices that beat the feed (a negotiated discount, a private model), effective-dated.",
            subcommands = {Overrides.Set.class, Overrides.ListOverrides.class, Overrides.End.class})
    static final class Overrides implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }

        @Command(name = "set", mixinStandardHelpOptions = true,
                description = "Set an override from --from on; it closes the model's previous open override.")
        static final class Set implements Callable<Integer> {
            private final LedgerOpener ledgers;

            @Spec
            CommandSpec spec;

            Set(LedgerOpener ledgers) {
                this.ledgers = ledgers;
            }

            Set() {
                this(LedgerOpener.FROM_ENVIRONMENT);
            }

            @Option(names = "--model", required = true)
            String model;
            @Option(names = "--provider")
            String provider;
            @Option(names = "--from", description = "valid from (ISO-8601, default now)")
            Instant from;
            @Option(names = "--cost", required = true, description = "LiteLLM cost key=USD per token, e.g."
                    + " input_cost_per_token=0.000002 (repeatable)")
            Map<String, BigDecimal> costs;
            @Option(names = "--note", required = true, description = "why (shown in history)")
            String note;

            @Override
            public Integer call() {
                try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
                    long lastRun = lastRepriceRun(ledger);
                    Instant now = ledger.clock().instant();
                    PriceOverride o = ledger.pricing().setOverride(new OverrideRequest(model, provider,
                            from != null ? from : now, costs, note));
                    PrintWriter out = spec.commandLine().getOut();
                    out.println("override #" + o.id() + " for " + o.modelKey() + " from " + o.validFrom() + ": "
                            + o.costs());
                    if (o.validFrom().isBefore(now)) {
                        backPricing(out, ledger, lastRun, o.modelKey() + " from " + o.validFrom());
                    }
                    return 0;
                }
            }
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "All overrides.")
        static final class ListOverrides implements Callable<Integer> {
            private final LedgerOpener ledgers;

            ListOverrides(LedgerOpener ledgers) {
                this.ledgers = ledgers;
            }

            ListOverrides() {
                this(LedgerOpener.FROM_ENVIRONMENT);
            }

            @Spec
            CommandSpec spec;
            @Option(names = "--json")
            boolean json;

            @Override
            public Integer call() {
                try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
                    List<PriceOverride> all = ledger.pricing().overrides();
                    PrintWriter out = spec.commandLine().getOut();
                    if (json) {
                        out.println(Output.json(all));
                        return 0;
                    }
                    Output.Table t = new Output.Table("id", "model", "valid from", "valid to", "costs", "note");
                    all.forEach(o -> t.row("#" + o.id(), o.modelKey(), instant(o.validFrom()), instant(o.validTo()),
                            o.costs().toString(), o.note()));
                    out.print(t);
                    return 0;
                }
            }
        }

        @Command(name = "end", mixinStandardHelpOptions = true, description = "End a model's open override at --at (default now).")
        static final class End implements Callable<Integer> {
            private final LedgerOpener ledgers;

            @Spec
            CommandSpec spec;

            End(LedgerOpener ledgers) {
                this.ledgers = ledgers;
            }

            End() {
                this(LedgerOpener.FROM_ENVIRONMENT);
            }

            @Option(names = "--model", required = true)
            String model;
            @Option(names = "--at")
            Instant at;

            @Override
            public Integer call() {
                try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
                    long lastRun = lastRepriceRun(ledger);
                    Instant now = ledger.clock().instant();
                    Instant end = at != null ? at : now;
                    Optional<PriceOverride> ended = ledger.pricing().endOverride(model, end);
                    PrintWriter out = spec.commandLine().getOut();
                    out.println(ended.map(o -> "ended override #" + o.id() + " at " + end)
                            .orElse("no open override for " + model));
                    if (ended.isPresent() && end.isBefore(now)) {
                        backPricing(out, ledger, lastRun, ended.get().modelKey() + " from " + end);
                    }
                    return ended.isPresent() ? 0 : 1;
                }
            }
        }
    }

    @Command(name = "alias", mixinStandardHelpOptions = true,
            description = {"Names traffic carries that the price book does not list (a deployment name, a gateway's id),"
                    + " priced as a key it does list, effective-dated. Tried after the name itself (exact, case, provider"
                    + " prefix) and before the documented fallbacks (resource path, version suffix); see docs/pricing.md."},
            subcommands = {Aliases.Set.class, Aliases.ListAliases.class, Aliases.End.class})
    static final class Aliases implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }

        @Command(name = "set", mixinStandardHelpOptions = true,
                description = "Price calls recorded as NAME as --model from --from on; it closes NAME's open alias.")
        static final class Set implements Callable<Integer> {
            private final LedgerOpener ledgers;

            @Spec
            CommandSpec spec;

            Set(LedgerOpener ledgers) {
                this.ledgers = ledgers;
            }

            Set() {
                this(LedgerOpener.FROM_ENVIRONMENT);
            }

            @Parameters(index = "0", paramLabel = "NAME", description = "the model name as calls record it")
            String alias;
            @Option(names = "--model", required = true, description = "the price book key it is priced as")
            String model;
            @Option(names = "--from", description = "valid from (ISO-8601, default now); a past time back-prices the"
                    + " calls already recorded as NAME")
            Instant from;
            @Option(names = "--reason", required = true, description = "why (shown in the list)")
            String reason;

            @Override
            public Integer call() {
                try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
                    long lastRun = lastRepriceRun(ledger);
                    Instant now = ledger.clock().instant();
                    ModelAlias a = ledger.pricing().setAlias(new AliasRequest(alias, model, from != null ? from : now,
                            reason, RepriceCommand.requestedBy()));
                    PrintWriter out = spec.commandLine().getOut();
                    out.println("alias #" + a.id() + ": " + a.alias() + " priced as " + a.modelKey() + " from "
                            + a.validFrom());
                    if (a.validFrom().isBefore(now)) {
                        backPricing(out, ledger, lastRun, a.alias() + " from " + a.validFrom());
                    }
                    return 0;
                }
            }
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "All aliases, open and ended.")
        static final class ListAliases implements Callable<Integer> {
            private final LedgerOpener ledgers;

            @Spec
            CommandSpec spec;
            @Option(names = "--json")
            boolean json;

            ListAliases(LedgerOpener ledgers) {
                this.ledgers = ledgers;
            }

            ListAliases() {
                this(LedgerOpener.FROM_ENVIRONMENT);
            }

            @Override
            public Integer call() {
                try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
                    List<ModelAlias> all = ledger.pricing().aliases();
                    PrintWriter out = spec.commandLine().getOut();
                    if (json) {
                        out.println(Output.json(all));
                        return 0;
                    }
                    if (all.isEmpty()) {
                        out.println("no aliases");
                        return 0;
                    }
                    Output.Table t = new Output.Table("id", "name", "priced as", "valid from", "valid to", "by",
                            "reason");
                    all.forEach(a -> t.row("#" + a.id(), a.alias(), a.modelKey(), instant(a.validFrom()),
                            instant(a.validTo()), a.createdBy(), a.note()));
                    out.print(t);
                    return 0;
                }
            }
        }

        @Command(name = "end", mixinStandardHelpOptions = true, description = "End NAME's open alias at --at (default now).")
        static final class End implements Callable<Integer> {
            private final LedgerOpener ledgers;

            @Spec
            CommandSpec spec;

            End(LedgerOpener ledgers) {
                this.ledgers = ledgers;
            }

            End() {
                this(LedgerOpener.FROM_ENVIRONMENT);
            }

            @Parameters(index = "0", paramLabel = "NAME")
            String alias;
            @Option(names = "--at", description = "end (ISO-8601, default now); a past time back-prices the calls"
                    + " recorded as NAME since")
            Instant at;

            @Override
            public Integer call() {
                try (Ledger ledger = ledgers.open(Ledger.Mode.CLIENT)) {
                    long lastRun = lastRepriceRun(ledger);
                    Instant now = ledger.clock().instant();
                    Instant end = at != null ? at : now;
                    Optional<ModelAlias> ended = ledger.pricing().endAlias(alias, end);
                    PrintWriter out = spec.commandLine().getOut();
                    out.println(ended.map(a -> "ended alias #" + a.id() + " (" + a.alias() + " priced as " + a.modelKey()
                            + ") at " + end).orElse("no open alias named " + alias));
                    if (ended.isPresent() && end.isBefore(now)) {
                        backPricing(out, ledger, lastRun, ended.get().alias() + " from " + end);
                    }
                    return ended.isPresent() ? 0 : 1;
                }
            }
        }
    }

    /** Who the reprice runs a price change queues are recorded as (usage_reprice_run.requested_by). */
    private static final String BACK_PRICING = "back-pricing";

    /** The newest reprice run's id, 0 when none: what a price change is compared against. */
    static long lastRepriceRun(Ledger ledger) {
        return ledger.repricer().list(1).stream().mapToLong(Repricer.Run::runId).findFirst().orElse(0);
    }

    /**
     * Says what becomes of the written usage a price change concerns: the reprice runs back-pricing queued (runs
     * newer than {@code lastRun}), that none was needed, or that back-pricing is off and how to correct it by hand.
     */
    static void backPricing(PrintWriter out, Ledger ledger, long lastRun, String what) {
        if (!ledger.config().writer().backPricing()) {
            out.println("back-pricing is off (" + Setting.BACK_PRICING.env + "=false): written usage of " + what
                    + " keeps its cost; ./tokenledger reprice --from DATE --to DATE --model M corrects it");
            return;
        }
        List<Repricer.Run> queued = ledger.repricer().list(100).stream()
                .filter(r -> r.runId() > lastRun && r.requestedBy().equals(BACK_PRICING))
                .sorted(java.util.Comparator.comparingLong(Repricer.Run::runId)).toList();
        if (queued.isEmpty()) {
            out.println("back-pricing: no written usage of " + what + ", nothing to re-price");
            return;
        }
        for (Repricer.Run r : queued) {
            out.println("back-pricing queued reprice run " + r.runId() + " (" + r.from() + " .. " + r.to() + ", "
                    + (r.models().isEmpty() ? "every model" : RepriceCommand.models(r.models(), 5))
                    + (r.includeUnpriced() ? ", plus every unpriced event" : "") + "): the written usage of " + what
                    + " is re-priced by its usage_reprice job");
            out.println("  a running service does it; without one: ./tokenledger reprice --resume " + r.runId());
        }
    }

    static String instant(Instant t) {
        if (t == null) {
            return "-";
        }
        return t.getEpochSecond() < -10_000_000_000L ? "(first known)" : t.toString();
    }

    static String plain(BigDecimal v) {
        return v == null ? "-" : v.toPlainString();
    }
}
