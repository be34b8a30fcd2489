package dev.tokenledger.usage;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/** Builders for realistic usage events in tests: real model names, consistent token counts. */
public final class TestEvents {
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private TestEvents() {
    }

    /** A priced-looking gpt-4o call by user-1 in ws-1, a minute ago. */
    public static UsageEvent.Builder event() {
        long n = SEQUENCE.incrementAndGet();
        return UsageEvent.builder()
                .eventId(UUID.randomUUID())
                .eventTime(Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(60))
                .userId("user-1")
                .workspaceId("ws-1")
                .conversationId(UUID.randomUUID())
                .messageId("msg-" + n)
                .agentId("planner")
                .agentDbId("42")
                .model("gpt-4o")
                .provider("openai")
                .promptTokens(1_200)
                .completionTokens(300)
                .cachedTokens(200)
                .callSequence((int) (n % 1000))
                .turnId("turn-" + n)
                .sessionId("session-1");
    }

    public static List<UsageEvent> events(int count) {
        List<UsageEvent> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(event().userId("user-" + (i % 7)).workspaceId("ws-" + (i % 3)).build());
        }
        return out;
    }
}
