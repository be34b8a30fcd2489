package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.InsertBatch;
import dev.tokenledger.clickhouse.RowBinaryWriter;
import dev.tokenledger.clickhouse.RowBinaryWriter.Column;
import dev.tokenledger.usage.EventCost;
import dev.tokenledger.usage.EventPricer;
import dev.tokenledger.usage.UsageEvent;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import org.jobrunr.jobs.lambdas.JobRequestHandler;

/**
 * The naive design the benchmarks compare against: one JobRunr job per event, whose body prices the event
 * and inserts it alone into ClickHouse (same table, same exactly-once settings, the event id as the
 * deduplication token). What it costs per event is JobRunr's bookkeeping (a job row written three times
 * with its JSON) and one ClickHouse insert (one part) per event.
 */
public final class NaiveUsageJob implements JobRequestHandler<NaiveUsageRequest> {
    private static final int SCALE = 12;
    private static final String COST = "Nullable(Decimal(38, 12))";
    static final List<Column> COLUMNS = List.of(
            new Column("event_id", "UUID"), new Column("event_time", "DateTime64(3, 'UTC')"),
            new Column("user_id", "String"), new Column("workspace_id", "String"),
            new Column("conversation_id", "Nullable(UUID)"), new Column("message_id", "String"),
            new Column("agent_id", "LowCardinality(String)"), new Column("agent_db_id", "String"),
            new Column("model", "LowCardinality(String)"), new Column("provider", "LowCardinality(String)"),
            new Column("prompt_tokens", "UInt64"), new Column("completion_tokens", "UInt64"),
            new Column("total_tokens", "UInt64"), new Column("tool_use_prompt_tokens", "UInt64"),
            new Column("thoughts_tokens", "UInt64"), new Column("cached_tokens", "UInt64"),
            new Column("cache_creation_tokens", "UInt64"), new Column("cache_creation_1h_tokens", "UInt64"),
            new Column("audio_prompt_tokens", "UInt64"), new Column("audio_completion_tokens", "UInt64"),
            new Column("call_sequence", "UInt32"), new Column("turn_id", "String"), new Column("session_id", "String"),
            new Column("service_tier", "LowCardinality(String)"), new Column("input_cost", COST),
            new Column("cached_input_cost", COST), new Column("cache_creation_cost", COST),
            new Column("output_cost", COST), new Column("reasoning_cost", COST), new Column("audio_cost", COST),
            new Column("tool_use_cost", COST), new Column("cost_usd", COST),
            new Column("cost_status", "Enum8('priced' = 1, 'unpriced' = 2, 'override' = 3)"),
            new Column("pricing_model", "LowCardinality(String)"), new Column("pricing_id", "UInt64"),
            new Column("pricing_override_id", "UInt64"), new Column("batch_id", "UInt64"),
            new Column("ingested_at", "DateTime64(3, 'UTC')"));

    private final BlockingQueue<ClickHouse> connections;
    private final EventPricer pricer;

    NaiveUsageJob(BlockingQueue<ClickHouse> connections, EventPricer pricer) {
        this.connections = connections;
        this.pricer = pricer;
    }

    @Override
    public void run(NaiveUsageRequest request) throws InterruptedException {
        UsageEvent e = request.event();
        EventCost c = pricer.price(e);
        RowBinaryWriter w = new RowBinaryWriter(COLUMNS);
        w.uuid(e.eventId()).dateTime64Millis(e.eventTime()).string(e.userId()).string(e.workspaceId())
                .uuid(e.conversationId()).string(e.messageId()).string(e.agentId()).string(e.agentDbId())
                .string(e.model()).string(e.provider()).uint64(e.promptTokens()).uint64(e.completionTokens())
                .uint64(e.totalTokens()).uint64(e.toolUsePromptTokens()).uint64(e.thoughtsTokens())
                .uint64(e.cachedTokens()).uint64(e.cacheCreationTokens()).uint64(e.cacheCreation1hTokens())
                .uint64(e.audioPromptTokens()).uint64(e.audioCompletionTokens()).uint32(e.callSequence())
                .string(e.turnId()).string(e.sessionId()).string(e.serviceTier())
                .decimal128(scaled(c.input()), SCALE).decimal128(scaled(c.cachedInput()), SCALE)
                .decimal128(scaled(c.cacheCreation()), SCALE).decimal128(scaled(c.output()), SCALE)
                .decimal128(scaled(c.reasoning()), SCALE).decimal128(scaled(c.audio()), SCALE)
                .decimal128(scaled(c.toolUse()), SCALE).decimal128(scaled(c.total()), SCALE)
                .enum8(c.status().code()).string(c.pricingModel()).uint64(c.pricingId())
                .uint64(c.pricingOverrideId()).uint64(0)
                .dateTime64Millis(e.eventTime()); // deterministic: a retry re-sends the same bytes
        ClickHouse ch = connections.take();
        try {
            ch.insert(new InsertBatch("llm_usage", w.toBytes(), 1, "tokenledger-bench/naive/" + e.eventId()));
        } finally {
            connections.add(ch);
        }
    }

    private static BigDecimal scaled(BigDecimal v) {
        return v == null ? null : v.setScale(SCALE, RoundingMode.UNNECESSARY);
    }
}
