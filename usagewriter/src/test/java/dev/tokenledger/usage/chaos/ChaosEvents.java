package dev.tokenledger.usage.chaos;

import dev.tokenledger.usage.UsageEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Usage events with varied token counts, users, agents and models (one in fifty unpriced), so sums that
 * agree "to the last digit" are sums of many different values. Times lie within the last two minutes.
 */
final class ChaosEvents {
    private static final String[] MODELS = {"gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-pro"};
    private static final String[] AGENTS = {"planner", "coder", "reviewer"};

    private ChaosEvents() {
    }

    static List<UsageEvent> random(int count) {
        List<UsageEvent> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(random(UUID.randomUUID()));
        }
        return out;
    }

    /** The event of a numbered stream: the same index always gives the same id (a client's retry). */
    static UsageEvent numbered(String stream, long index) {
        return random(UUID.nameUUIDFromBytes(("tokenledger-chaos/" + stream + "/" + index)
                .getBytes(StandardCharsets.UTF_8)));
    }

    static UsageEvent random(UUID id) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long prompt = 1 + r.nextLong(120_000);
        long cached = r.nextLong(prompt + 1) / 2;
        long completion = 1 + r.nextLong(8_000);
        long thoughts = r.nextLong(completion + 1) / 3;
        String model = r.nextInt(50) == 0 ? "unknown-model-" + r.nextInt(3) : MODELS[r.nextInt(MODELS.length)];
        return UsageEvent.builder()
                .eventId(id)
                .eventTime(Instant.now().truncatedTo(ChronoUnit.MILLIS).minusMillis(r.nextLong(120_000)))
                .userId("user-" + r.nextInt(50))
                .workspaceId("ws-" + r.nextInt(5))
                .conversationId(UUID.randomUUID())
                .messageId("msg-" + r.nextLong(1_000_000_000L))
                .agentId(AGENTS[r.nextInt(AGENTS.length)])
                .model(model)
                .provider("openai")
                .promptTokens(prompt)
                .cachedTokens(cached)
                .completionTokens(completion)
                .thoughtsTokens(thoughts)
                .toolUsePromptTokens(r.nextInt(10) == 0 ? r.nextLong(500) : 0)
                .callSequence(r.nextInt(1000))
                .turnId("turn-" + r.nextInt(1000))
                .sessionId("session-" + r.nextInt(100))
                .build();
    }
}
