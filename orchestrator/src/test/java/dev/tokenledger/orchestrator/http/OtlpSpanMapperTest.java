package dev.tokenledger.orchestrator.http;

import static dev.tokenledger.orchestrator.http.OtlpSpans.number;
import static dev.tokenledger.orchestrator.http.OtlpSpans.span;
import static dev.tokenledger.orchestrator.http.OtlpSpans.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.tokenledger.orchestrator.http.OtlpSpanMapper.Kind;
import dev.tokenledger.orchestrator.http.OtlpSpanMapper.Outcome;
import dev.tokenledger.usage.UsageEvent;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The span → usage event mapping of docs/otel.md, attribute by attribute, without a server. */
class OtlpSpanMapperTest {
    private static final AnyValue[] RESOURCE = OtlpSpanMapper.attributes(List.of(
            text("service.name", "support-bot"), text(OtlpSpanMapper.WORKSPACE_ATTRIBUTE, "acme")));

    private static Outcome map(Span.Builder span) {
        return OtlpSpanMapper.map(span.build(), RESOURCE, null);
    }

    private static UsageEvent counted(Span.Builder span) {
        Outcome o = map(span);
        assertThat(o.kind()).as(o.reason()).isEqualTo(Kind.COUNTED);
        return o.event();
    }

    @Test
    void aChatSpansCountsMapOneToOneBecauseInputIncludesTheCacheAndOutputTheReasoning() {
        Span.Builder span = OtlpSpans.chat("gpt-4o", 1200, 200, 300)
                .addAttributes(number("gen_ai.usage.cache_creation.input_tokens", 100))
                .addAttributes(number("gen_ai.usage.reasoning.output_tokens", 50))
                .addAttributes(text("gen_ai.response.model", "gpt-4o-2024-08-06"))
                .addAttributes(text("gen_ai.response.id", "chatcmpl-123"))
                .addAttributes(text("openai.response.service_tier", "priority"))
                .addAttributes(text("session.id", "s-9"))
                .addAttributes(text("gen_ai.agent.name", "planner"));
        UsageEvent e = counted(span);

        assertThat(e.promptTokens()).isEqualTo(1200);
        assertThat(e.cachedTokens()).isEqualTo(200);
        assertThat(e.cacheCreationTokens()).isEqualTo(100);
        assertThat(e.completionTokens()).isEqualTo(300);
        assertThat(e.thoughtsTokens()).isEqualTo(50);
        assertThat(e.totalTokens()).isEqualTo(1500);
        assertThat(e.model()).as("the response model is what ran").isEqualTo("gpt-4o-2024-08-06");
        assertThat(e.provider()).isEqualTo("openai");
        assertThat(e.workspaceId()).isEqualTo("acme");
        assertThat(e.userId()).isEqualTo("u-17");
        assertThat(e.messageId()).isEqualTo("chatcmpl-123");
        assertThat(e.serviceTier()).isEqualTo("priority");
        assertThat(e.sessionId()).isEqualTo("s-9");
        assertThat(e.agentId()).isEqualTo("planner");
        assertThat(e.eventTime()).isEqualTo(Instant.ofEpochSecond(0, span.getEndTimeUnixNano()));
    }

    @Test
    void theEventIdIsANameBasedUuidOfTraceAndSpanIdSoAResentSpanIsTheSameEvent() {
        Span.Builder span = OtlpSpans.chat("gpt-4o", 10, 0, 5);
        byte[] name = new byte[24];
        span.getTraceId().copyTo(name, 0);
        span.getSpanId().copyTo(name, 16);

        assertThat(counted(span).eventId()).isEqualTo(UUID.nameUUIDFromBytes(name))
                .isEqualTo(counted(span.clone()).eventId())
                .isNotEqualTo(counted(span.clone().setSpanId(ByteString.copyFrom(new byte[] {9, 8, 7, 6, 5, 4, 3, 2})))
                        .eventId());
        Outcome badIds = map(span.clone().setSpanId(ByteString.copyFrom(new byte[8])));
        assertThat(badIds.kind()).isEqualTo(Kind.REFUSED);
        assertThat(badIds.reason()).contains("span_id 8 bytes");
    }

    @Test
    void olderAttributeNamesAreReadWhenTheCurrentOnesAreAbsent() {
        UsageEvent e = counted(span("chat", text("gen_ai.operation.name", "chat"), text("gen_ai.system", "anthropic"),
                text("gen_ai.request.model", "claude-sonnet-4-5"), number("gen_ai.usage.prompt_tokens", 5000),
                number("gen_ai.usage.cache_read_input_tokens", 3000),
                number("gen_ai.usage.cache_creation_input_tokens", 1000),
                number("gen_ai.usage.completion_tokens", 800), number("gen_ai.usage.reasoning_tokens", 300),
                text("enduser.id", "u-18")));

        assertThat(List.of(e.promptTokens(), e.cachedTokens(), e.cacheCreationTokens(), e.completionTokens(),
                e.thoughtsTokens())).containsExactly(5000L, 3000L, 1000L, 800L, 300L);
        assertThat(e.provider()).isEqualTo("anthropic");
        assertThat(e.userId()).isEqualTo("u-18");
    }

    @Test
    void providerNamesOfTheConventionsBecomeThePriceBooksProviders() {
        Map<String, String> expected = Map.of("x_ai", "xai", "aws.bedrock", "bedrock", "gcp.vertex_ai", "vertex_ai",
                "gcp.gemini", "gemini", "azure.ai.openai", "azure", "azure.ai.inference", "azure_ai",
                "mistral_ai", "mistral", "deepseek", "deepseek", "some_new_provider", "some_new_provider");
        expected.forEach((sent, priced) -> assertThat(counted(OtlpSpans.chat("m", 10, 0, 5)
                .setAttributes(1, text("gen_ai.provider.name", sent))).provider()).as(sent).isEqualTo(priced));
    }

    @Test
    void agentWorkflowToolAndRetrievalSpansAreSkippedEvenWhenTheyCarryUsage() {
        for (String operation : List.of("invoke_agent", "create_agent", "invoke_workflow", "execute_tool", "retrieval")) {
            Outcome o = map(OtlpSpans.chat("gpt-4o", 9000, 0, 2000)
                    .addAttributes(0, text("gen_ai.operation.name", operation)));
            assertThat(o.kind()).as(operation).isEqualTo(Kind.SKIPPED);
        }
    }

    @Test
    void spansWithoutUsageOrOfAnOperationThatIsNoModelCallAreIgnoredNotRefused() {
        assertThat(map(span("GET /", text("http.request.method", "GET"))).kind()).isEqualTo(Kind.IGNORED);
        assertThat(map(span("chat", text("gen_ai.operation.name", "chat"), text("gen_ai.request.model", "gpt-4o")))
                .kind()).isEqualTo(Kind.IGNORED);
        assertThat(map(OtlpSpans.chat("gpt-4o", 10, 0, 5).addAttributes(0, text("gen_ai.operation.name", "rerank")))
                .kind()).isEqualTo(Kind.IGNORED);
    }

    @Test
    void everyModelCallOperationIsCountedAndASpanWithoutAnOperationNameToo() {
        for (String operation : List.of("chat", "text_completion", "generate_content", "embeddings")) {
            assertThat(map(OtlpSpans.chat("m", 10, 0, 5).addAttributes(0, text("gen_ai.operation.name", operation)))
                    .kind()).as(operation).isEqualTo(Kind.COUNTED);
        }
        assertThat(counted(span("openai.chat", text("gen_ai.request.model", "gpt-4o"), text("user.id", "u"),
                number("gen_ai.usage.input_tokens", 10), number("gen_ai.usage.output_tokens", 2))).promptTokens())
                .isEqualTo(10);
    }

    @Test
    void anEmbeddingsSpanNeedsNoOutputCountButAChatSpanDoes() {
        UsageEvent e = counted(span("embeddings", text("gen_ai.operation.name", "embeddings"),
                text("gen_ai.request.model", "text-embedding-3-small"), number("gen_ai.usage.input_tokens", 812),
                text("user.id", "u-17")));
        assertThat(e.completionTokens()).isZero();

        Outcome chat = map(span("chat", text("gen_ai.operation.name", "chat"), text("gen_ai.request.model", "gpt-4o"),
                number("gen_ai.usage.input_tokens", 812), text("user.id", "u-17")));
        assertThat(chat.kind()).isEqualTo(Kind.REFUSED);
        assertThat(chat.reason()).contains("gen_ai.usage.output_tokens (or gen_ai.usage.completion_tokens) is missing");
    }

    @Test
    void cacheCountsAboveTheInputCountAreRefusedRatherThanGuessedAt() {
        Outcome o = map(OtlpSpans.chat("claude-sonnet-4-5", 100, 3000, 5)
                .addAttributes(number("gen_ai.usage.cache_creation.input_tokens", 50)));

        assertThat(o.kind()).isEqualTo(Kind.REFUSED);
        assertThat(o.reason()).contains("gen_ai.usage.input_tokens (100) must include the cache reads and writes")
                .contains("3050");
    }

    @Test
    void numbersSentAsWholeDoublesOrDigitStringsAreCountsAndAnythingElseIsRefusedNamingTheAttribute() {
        UsageEvent e = counted(span("chat", text("gen_ai.operation.name", "chat"), text("gen_ai.request.model", "m"),
                text("user.id", "u"), KeyValue.newBuilder().setKey("gen_ai.usage.input_tokens")
                        .setValue(AnyValue.newBuilder().setDoubleValue(120.0)).build(),
                text("gen_ai.usage.output_tokens", "30")));
        assertThat(e.promptTokens()).isEqualTo(120);
        assertThat(e.completionTokens()).isEqualTo(30);

        Outcome fraction = map(OtlpSpans.chat("m", 10, 0, 5).setAttributes(3, KeyValue.newBuilder()
                .setKey("gen_ai.usage.input_tokens").setValue(AnyValue.newBuilder().setDoubleValue(12.5))));
        assertThat(fraction.reason()).isEqualTo("gen_ai.usage.input_tokens must be a whole number of tokens, got 12.5");
        Outcome negative = map(OtlpSpans.chat("m", -3, 0, 5));
        assertThat(negative.reason()).isEqualTo("gen_ai.usage.input_tokens must not be negative, got -3");
        Outcome huge = map(OtlpSpans.chat("m", UsageEvent.MAX_TOKENS + 1, 0, 5));
        assertThat(huge.reason()).startsWith("gen_ai.usage.input_tokens (prompt_tokens) must be at most");
        Outcome array = map(OtlpSpans.chat("m", 10, 0, 5).addAttributes(text("gen_ai.response.model", "x"))
                .setAttributes(2, KeyValue.newBuilder().setKey("gen_ai.request.model").setValue(AnyValue.newBuilder()
                        .setBoolValue(true))));
        assertThat(array.kind()).as("the response model is read first").isEqualTo(Kind.COUNTED);
    }

    @Test
    void theWorkspaceComesFromTheSpanThenTheResourceThenTheRequestAndWithoutOneTheSpanIsRefused() {
        Span chat = OtlpSpans.chat("gpt-4o", 10, 0, 5).build();
        AnyValue[] bare = OtlpSpanMapper.attributes(List.of(text("service.name", "x")));

        assertThat(OtlpSpanMapper.map(chat, RESOURCE, "from-key").event().workspaceId()).isEqualTo("acme");
        assertThat(OtlpSpanMapper.map(chat.toBuilder().addAttributes(text(OtlpSpanMapper.WORKSPACE_ATTRIBUTE, "team-a"))
                .build(), RESOURCE, null).event().workspaceId()).isEqualTo("team-a");
        assertThat(OtlpSpanMapper.map(chat, bare, "from-key").event().workspaceId()).isEqualTo("from-key");
        Outcome none = OtlpSpanMapper.map(chat, bare, null);
        assertThat(none.kind()).isEqualTo(Kind.REFUSED);
        assertThat(none.eventId()).isEqualTo(OtlpSpans.eventId(chat));
        assertThat(none.reason()).isEqualTo("no workspace: set the resource (or span) attribute tokenledger.workspace_id");
    }

    @Test
    void aSpanWithoutModelIsRefusedNamingItAndOneWithoutUserIsRecordedForTheUnknownUser() {
        Outcome o = map(span("chat", text("gen_ai.operation.name", "chat"), number("gen_ai.usage.input_tokens", 10),
                number("gen_ai.usage.output_tokens", 2)));
        assertThat(o.kind()).isEqualTo(Kind.REFUSED);
        assertThat(o.reason()).isEqualTo("gen_ai.response.model (or gen_ai.request.model) is required: the model prices"
                + " the call");

        Outcome noUser = map(span("chat", text("gen_ai.operation.name", "chat"), text("gen_ai.request.model", "gpt-4o"),
                number("gen_ai.usage.input_tokens", 10), number("gen_ai.usage.output_tokens", 2)));
        assertThat(noUser.kind()).as(String.valueOf(noUser.reason())).isEqualTo(Kind.COUNTED);
        assertThat(noUser.event().userId()).isEqualTo(OtlpSpanMapper.UNKNOWN_USER);
    }

    @Test
    void aConversationIdThatIsNoUuidBecomesTheSameNameBasedUuidEveryTime() {
        UUID uuid = UUID.randomUUID();
        assertThat(counted(OtlpSpans.chat("m", 1, 0, 1).addAttributes(text("gen_ai.conversation.id", uuid.toString())))
                .conversationId()).isEqualTo(uuid);
        UUID named = counted(OtlpSpans.chat("m", 1, 0, 1).addAttributes(text("gen_ai.conversation.id", "conv_5j66")))
                .conversationId();
        assertThat(named).isEqualTo(UUID.nameUUIDFromBytes("gen_ai.conversation.id:conv_5j66"
                .getBytes(StandardCharsets.UTF_8))).isEqualTo(OtlpSpanMapper.conversationId("conv_5j66"));
    }

    @Test
    void anOverlongIdIsRefusedNamingTheAttributeItCameFrom() {
        Outcome o = map(OtlpSpans.chat("m", 1, 0, 1).addAttributes(text("session.id", "s".repeat(300))));
        assertThat(o.kind()).isEqualTo(Kind.REFUSED);
        assertThat(o.reason()).isEqualTo("session.id (session_id) must be at most 256 characters, got 300");
    }
}
