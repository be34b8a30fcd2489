package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.RowBinaryWriter;
import dev.tokenledger.clickhouse.RowBinaryWriter.Column;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.List;

/** Encodes priced events as llm_usage rows. Every value is computed here, client-side, never by a ClickHouse default. */
final class UsageRows {
    /** The scale of every USD amount: llm_usage's Decimal(38, 12), the reports, the budgets. */
    static final int COST_SCALE = 12;
    private static final String COST = "Nullable(Decimal(38, 12))";
    private static final String SECONDS = "Decimal(20, 3)";

    static final List<Column> COLUMNS = List.of(
            new Column("event_id", "UUID"),
            new Column("event_time", "DateTime64(3, 'UTC')"),
            new Column("user_id", "String"),
            new Column("workspace_id", "String"),
            new Column("conversation_id", "Nullable(UUID)"),
            new Column("message_id", "String"),
            new Column("agent_id", "LowCardinality(String)"),
            new Column("agent_db_id", "String"),
            new Column("model", "LowCardinality(String)"),
            new Column("provider", "LowCardinality(String)"),
            new Column("prompt_tokens", "UInt64"),
            new Column("completion_tokens", "UInt64"),
            new Column("total_tokens", "UInt64"),
            new Column("tool_use_prompt_tokens", "UInt64"),
            new Column("thoughts_tokens", "UInt64"),
            new Column("cached_tokens", "UInt64"),
            new Column("cache_creation_tokens", "UInt64"),
            new Column("cache_creation_1h_tokens", "UInt64"),
            new Column("audio_prompt_tokens", "UInt64"),
            new Column("audio_completion_tokens", "UInt64"),
            new Column("image_prompt_tokens", "UInt64"),
            new Column("image_completion_tokens", "UInt64"),
            new Column("web_search_requests", "UInt64"),
            new Column("input_images", "UInt64"),
            new Column("output_images", "UInt64"),
            new Column("input_audio_seconds", SECONDS),
            new Column("input_video_seconds", SECONDS),
            new Column("output_audio_seconds", SECONDS),
            new Column("output_video_seconds", SECONDS),
            new Column("call_sequence", "UInt32"),
            new Column("turn_id", "String"),
            new Column("session_id", "String"),
            new Column("service_tier", "LowCardinality(String)"),
            new Column("inference_geo", "LowCardinality(String)"),
            new Column("input_cost", COST),
            new Column("cached_input_cost", COST),
            new Column("cache_creation_cost", COST),
            new Column("output_cost", COST),
            new Column("reasoning_cost", COST),
            new Column("audio_cost", COST),
            new Column("tool_use_cost", COST),
            new Column("image_cost", COST),
            new Column("web_search_cost", COST),
            new Column("seconds_cost", COST),
            new Column("cost_usd", COST),
            new Column("cost_status", "Enum8('priced' = 1, 'unpriced' = 2, 'override' = 3)"),
            new Column("pricing_model", "LowCardinality(String)"),
            new Column("pricing_id", "UInt64"),
            new Column("pricing_override_id", "UInt64"),
            new Column("pricing_match", "LowCardinality(String)"),
            new Column("unpriced_reason", "LowCardinality(String)"),
            new Column("pricing_flags", "LowCardinality(String)"),
            new Column("batch_id", "UInt64"),
            new Column("ingested_at", "DateTime64(3, 'UTC')"));

    private UsageRows() {
    }

    static byte[] encode(List<PricedEvent> events, long batchId, Instant ingestedAt) {
        // ~460 bytes a row: sized once instead of doubling a 4 KB buffer a dozen times for a large batch.
        RowBinaryWriter w = new RowBinaryWriter(COLUMNS, (int) Math.min(Integer.MAX_VALUE - 64, 480L * events.size()));
        for (PricedEvent p : events) {
            UsageEvent e = p.event();
            EventCost c = p.cost();
            w.uuid(e.eventId())
                    .dateTime64Millis(e.eventTime())
                    .string(e.userId())
                    .string(e.workspaceId())
                    .uuid(e.conversationId())
                    .string(e.messageId())
                    .string(e.agentId())
                    .string(e.agentDbId())
                    .string(e.model())
                    .string(e.provider())
                    .uint64(e.promptTokens())
                    .uint64(e.completionTokens())
                    .uint64(e.totalTokens())
                    .uint64(e.toolUsePromptTokens())
                    .uint64(e.thoughtsTokens())
                    .uint64(e.cachedTokens())
                    .uint64(e.cacheCreationTokens())
                    .uint64(e.cacheCreation1hTokens())
                    .uint64(e.audioPromptTokens())
                    .uint64(e.audioCompletionTokens())
                    .uint64(e.imagePromptTokens())
                    .uint64(e.imageCompletionTokens())
                    .uint64(e.webSearchRequests())
                    .uint64(e.inputImages())
                    .uint64(e.outputImages())
                    .decimal128(e.inputAudioSeconds(), UsageEvent.SECONDS_SCALE)
                    .decimal128(e.inputVideoSeconds(), UsageEvent.SECONDS_SCALE)
                    .decimal128(e.outputAudioSeconds(), UsageEvent.SECONDS_SCALE)
                    .decimal128(e.outputVideoSeconds(), UsageEvent.SECONDS_SCALE)
                    .uint32(e.callSequence())
                    .string(e.turnId())
                    .string(e.sessionId())
                    .string(e.serviceTier())
                    .string(e.inferenceGeo())
                    .decimal128(scaled(c.input()), COST_SCALE)
                    .decimal128(scaled(c.cachedInput()), COST_SCALE)
                    .decimal128(scaled(c.cacheCreation()), COST_SCALE)
                    .decimal128(scaled(c.output()), COST_SCALE)
                    .decimal128(scaled(c.reasoning()), COST_SCALE)
                    .decimal128(scaled(c.audio()), COST_SCALE)
                    .decimal128(scaled(c.toolUse()), COST_SCALE)
                    .decimal128(scaled(c.image()), COST_SCALE)
                    .decimal128(scaled(c.webSearch()), COST_SCALE)
                    .decimal128(scaled(c.seconds()), COST_SCALE)
                    .decimal128(scaled(c.total()), COST_SCALE)
                    .enum8(c.status().code())
                    .string(c.pricingModel())
                    .uint64(c.pricingId())
                    .uint64(c.pricingOverrideId())
                    .string(c.basis().match())
                    .string(c.basis().unpricedReason())
                    .string(c.basis().flags())
                    .uint64(batchId)
                    .dateTime64Millis(ingestedAt);
        }
        return w.toBytes();
    }

    /** Pricing already rounds to scale 12; this only widens (e.g. 0.5 → 0.500000000000) and refuses to cut digits. */
    private static BigDecimal scaled(BigDecimal v) {
        return v == null ? null : v.setScale(COST_SCALE, RoundingMode.UNNECESSARY);
    }
}
