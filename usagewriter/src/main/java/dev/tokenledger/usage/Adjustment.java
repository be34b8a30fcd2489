package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.RowBinaryWriter;
import dev.tokenledger.clickhouse.RowBinaryWriter.Column;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.List;

/**
 * One correction of an event's cost, as a row of llm_usage_adjustment: the event's identity and report
 * dimensions, the delta of every cost component (new minus current; an unpriced cost counts as 0), the unpriced
 * count's delta, and the event's new status, price row and override. Appended, never changed.
 */
record Adjustment(UsageEvent event, int unpricedDelta, BigDecimal input, BigDecimal cachedInput,
                  BigDecimal cacheCreation, BigDecimal output, BigDecimal reasoning, BigDecimal audio,
                  BigDecimal toolUse, BigDecimal image, BigDecimal webSearch, BigDecimal seconds, BigDecimal total,
                  EventCost next) {
    private static final String MONEY = "Decimal(38, 12)";

    /** llm_usage_adjustment's columns (V6, V7, V8), in the order {@link #encode} writes them. */
    static final List<Column> COLUMNS = List.of(
            new Column("event_id", "UUID"),
            new Column("event_time", "DateTime64(3, 'UTC')"),
            new Column("user_id", "String"),
            new Column("workspace_id", "String"),
            new Column("agent_id", "LowCardinality(String)"),
            new Column("model", "LowCardinality(String)"),
            new Column("provider", "LowCardinality(String)"),
            new Column("session_id", "String"),
            new Column("service_tier", "LowCardinality(String)"),
            new Column("unpriced_delta", "Int64"),
            new Column("input_cost", MONEY),
            new Column("cached_input_cost", MONEY),
            new Column("cache_creation_cost", MONEY),
            new Column("output_cost", MONEY),
            new Column("reasoning_cost", MONEY),
            new Column("audio_cost", MONEY),
            new Column("tool_use_cost", MONEY),
            new Column("image_cost", MONEY),
            new Column("web_search_cost", MONEY),
            new Column("seconds_cost", MONEY),
            new Column("cost_usd", MONEY),
            new Column("cost_status", "Enum8('priced' = 1, 'unpriced' = 2, 'override' = 3)"),
            new Column("pricing_model", "LowCardinality(String)"),
            new Column("pricing_id", "UInt64"),
            new Column("pricing_override_id", "UInt64"),
            new Column("pricing_match", "LowCardinality(String)"),
            new Column("unpriced_reason", "LowCardinality(String)"),
            new Column("pricing_flags", "LowCardinality(String)"),
            new Column("run_id", "UInt64"),
            new Column("adjusted_at", "DateTime64(3, 'UTC')"));

    /**
     * The adjustment that takes an event from {@code current} to {@code next}, or null when its cost does not
     * move (same priced-ness and, if priced, the same amount in every component).
     */
    static Adjustment between(UsageEvent event, EventCost current, EventCost next) {
        boolean wasPriced = current.total() != null;
        boolean isPriced = next.total() != null;
        BigDecimal total = delta(current.total(), next.total());
        BigDecimal input = delta(current.input(), next.input());
        BigDecimal cachedInput = delta(current.cachedInput(), next.cachedInput());
        BigDecimal cacheCreation = delta(current.cacheCreation(), next.cacheCreation());
        BigDecimal output = delta(current.output(), next.output());
        BigDecimal reasoning = delta(current.reasoning(), next.reasoning());
        BigDecimal audio = delta(current.audio(), next.audio());
        BigDecimal toolUse = delta(current.toolUse(), next.toolUse());
        BigDecimal image = delta(current.image(), next.image());
        BigDecimal webSearch = delta(current.webSearch(), next.webSearch());
        BigDecimal seconds = delta(current.seconds(), next.seconds());
        boolean moved = wasPriced != isPriced || total.signum() != 0 || input.signum() != 0
                || cachedInput.signum() != 0 || cacheCreation.signum() != 0 || output.signum() != 0
                || reasoning.signum() != 0 || audio.signum() != 0 || toolUse.signum() != 0 || image.signum() != 0
                || webSearch.signum() != 0 || seconds.signum() != 0;
        if (!moved) {
            return null;
        }
        int unpricedDelta = (isPriced ? 0 : 1) - (wasPriced ? 0 : 1);
        return new Adjustment(event, unpricedDelta, input, cachedInput, cacheCreation, output, reasoning, audio,
                toolUse, image, webSearch, seconds, total, next);
    }

    /** The measure this adjustment moves, by how much (0 for events and tokens). */
    BigDecimal of(Measure m) {
        return switch (m) {
            case UNPRICED_EVENTS -> BigDecimal.valueOf(unpricedDelta);
            case COST_USD -> total;
            case INPUT_COST -> input;
            case CACHED_INPUT_COST -> cachedInput;
            case CACHE_CREATION_COST -> cacheCreation;
            case OUTPUT_COST -> output;
            case REASONING_COST -> reasoning;
            case AUDIO_COST -> audio;
            case TOOL_USE_COST -> toolUse;
            case IMAGE_COST -> image;
            case WEB_SEARCH_COST -> webSearch;
            case SECONDS_COST -> seconds;
            default -> BigDecimal.ZERO;
        };
    }

    static byte[] encode(List<Adjustment> rows, long runId, Instant adjustedAt) {
        RowBinaryWriter w = new RowBinaryWriter(COLUMNS, Math.max(256, 260 * rows.size()));
        for (Adjustment a : rows) {
            UsageEvent e = a.event();
            w.uuid(e.eventId())
                    .dateTime64Millis(e.eventTime())
                    .string(e.userId())
                    .string(e.workspaceId())
                    .string(e.agentId())
                    .string(e.model())
                    .string(e.provider())
                    .string(e.sessionId())
                    .string(e.serviceTier())
                    .int64(a.unpricedDelta())
                    .decimal128(scaled(a.input()), UsageRows.COST_SCALE)
                    .decimal128(scaled(a.cachedInput()), UsageRows.COST_SCALE)
                    .decimal128(scaled(a.cacheCreation()), UsageRows.COST_SCALE)
                    .decimal128(scaled(a.output()), UsageRows.COST_SCALE)
                    .decimal128(scaled(a.reasoning()), UsageRows.COST_SCALE)
                    .decimal128(scaled(a.audio()), UsageRows.COST_SCALE)
                    .decimal128(scaled(a.toolUse()), UsageRows.COST_SCALE)
                    .decimal128(scaled(a.image()), UsageRows.COST_SCALE)
                    .decimal128(scaled(a.webSearch()), UsageRows.COST_SCALE)
                    .decimal128(scaled(a.seconds()), UsageRows.COST_SCALE)
                    .decimal128(scaled(a.total()), UsageRows.COST_SCALE)
                    .enum8(a.next().status().code())
                    .string(a.next().pricingModel())
                    .uint64(a.next().pricingId())
                    .uint64(a.next().pricingOverrideId())
                    .string(a.next().basis().match())
                    .string(a.next().basis().unpricedReason())
                    .string(a.next().basis().flags())
                    .uint64(runId)
                    .dateTime64Millis(adjustedAt);
        }
        return w.toBytes();
    }

    private static BigDecimal delta(BigDecimal current, BigDecimal next) {
        BigDecimal c = current == null ? BigDecimal.ZERO : current;
        BigDecimal n = next == null ? BigDecimal.ZERO : next;
        return n.subtract(c);
    }

    private static BigDecimal scaled(BigDecimal v) {
        return v.setScale(UsageRows.COST_SCALE, RoundingMode.UNNECESSARY);
    }
}
