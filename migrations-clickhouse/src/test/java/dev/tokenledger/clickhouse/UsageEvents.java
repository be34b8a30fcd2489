package dev.tokenledger.clickhouse;

import dev.tokenledger.clickhouse.RowBinaryWriter.Column;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Test rows for {@code llm_usage}, encoded with {@link RowBinaryWriter} exactly as a writer would: all
 * columns of the V1 contract, every value computed here (none left to the server).
 */
final class UsageEvents {
    static final int SCALE = 12;
    /** The smallest real per-token price in LiteLLM's data: 1.3e-10 USD. */
    static final BigDecimal TINY_PRICE = new BigDecimal("0.00000000013");

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
            new Column("call_sequence", "UInt32"),
            new Column("turn_id", "String"),
            new Column("session_id", "String"),
            new Column("service_tier", "LowCardinality(String)"),
            new Column("input_cost", "Nullable(Decimal(38, 12))"),
            new Column("cached_input_cost", "Nullable(Decimal(38, 12))"),
            new Column("cache_creation_cost", "Nullable(Decimal(38, 12))"),
            new Column("output_cost", "Nullable(Decimal(38, 12))"),
            new Column("reasoning_cost", "Nullable(Decimal(38, 12))"),
            new Column("audio_cost", "Nullable(Decimal(38, 12))"),
            new Column("tool_use_cost", "Nullable(Decimal(38, 12))"),
            new Column("cost_usd", "Nullable(Decimal(38, 12))"),
            new Column("cost_status", "Enum8('priced' = 1, 'unpriced' = 2, 'override' = 3)"),
            new Column("pricing_model", "LowCardinality(String)"),
            new Column("pricing_id", "UInt64"),
            new Column("pricing_override_id", "UInt64"),
            new Column("batch_id", "UInt64"),
            new Column("ingested_at", "DateTime64(3, 'UTC')"));

    private UsageEvents() {
    }

    /**
     * One call. A priced call costs {@code prompt × inputPrice} and {@code completion × outputPrice};
     * an unpriced one ({@code inputPrice == null}) has NULL costs.
     */
    record UsageEvent(UUID eventId, Instant eventTime, String workspaceId, String userId, String model,
                      long promptTokens, long completionTokens, long cacheCreation5m, long cacheCreation1h,
                      BigDecimal inputPrice, BigDecimal outputPrice) {

        boolean priced() {
            return inputPrice != null;
        }

        BigDecimal inputCost() {
            return priced() ? inputPrice.multiply(BigDecimal.valueOf(promptTokens)).setScale(SCALE) : null;
        }

        BigDecimal outputCost() {
            return priced() ? outputPrice.multiply(BigDecimal.valueOf(completionTokens)).setScale(SCALE) : null;
        }

        BigDecimal costUsd() {
            return priced() ? inputCost().add(outputCost()) : null;
        }

        long totalTokens() {
            return promptTokens + completionTokens;
        }

        /** Cache writes are part of the prompt (V3's checks): never more than the prompt holds. */
        long storedCacheCreation5m() {
            return Math.min(cacheCreation5m, promptTokens);
        }

        long storedCacheCreation1h() {
            return Math.min(cacheCreation1h, promptTokens - storedCacheCreation5m());
        }
    }

    static UsageEvent priced(String workspace, Instant time, long prompt, long completion, BigDecimal inputPrice, BigDecimal outputPrice) {
        return new UsageEvent(UUID.randomUUID(), time, workspace, "user-1", "gpt-test", prompt, completion, 3, 2,
                inputPrice, outputPrice);
    }

    static UsageEvent unpriced(String workspace, Instant time, long prompt, long completion) {
        return new UsageEvent(UUID.randomUUID(), time, workspace, "user-1", "mystery-model", prompt, completion, 0, 0,
                null, null);
    }

    static InsertBatch batch(String token, List<UsageEvent> events) {
        RowBinaryWriter w = new RowBinaryWriter(COLUMNS);
        long sequence = 0;
        for (UsageEvent e : events) {
            w.uuid(e.eventId())
                    .dateTime64Millis(e.eventTime())
                    .string(e.userId())
                    .string(e.workspaceId())
                    .uuid(sequence % 2 == 0 ? null : e.eventId())
                    .string("msg-" + e.eventId())
                    .string("agent-a")
                    .string("agent-db-1")
                    .string(e.model())
                    .string("openai")
                    .uint64(e.promptTokens())
                    .uint64(e.completionTokens())
                    .uint64(e.totalTokens())
                    .uint64(0)
                    .uint64(0)
                    .uint64(0)
                    .uint64(e.storedCacheCreation5m())
                    .uint64(e.storedCacheCreation1h())
                    .uint64(0)
                    .uint64(0)
                    .uint32(++sequence)
                    .string("turn-1")
                    .string("session-1")
                    .string("default")
                    .decimal128(e.inputCost(), SCALE)
                    .decimal128(e.priced() ? BigDecimal.ZERO : null, SCALE)
                    .decimal128(e.priced() ? BigDecimal.ZERO : null, SCALE)
                    .decimal128(e.outputCost(), SCALE)
                    .decimal128(e.priced() ? BigDecimal.ZERO : null, SCALE)
                    .decimal128(e.priced() ? BigDecimal.ZERO : null, SCALE)
                    .decimal128(e.priced() ? BigDecimal.ZERO : null, SCALE)
                    .decimal128(e.costUsd(), SCALE)
                    .enum8(e.priced() ? 1 : 2)
                    .string(e.priced() ? e.model() : "")
                    .uint64(e.priced() ? 42 : 0)
                    .uint64(0)
                    .uint64(7)
                    .dateTime64Millis(Instant.parse("2026-01-01T00:00:00Z"));
        }
        return new InsertBatch("llm_usage", w.toBytes(), w.rowCount(), token);
    }
}
