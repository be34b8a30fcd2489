package dev.tokenledger.orchestrator.bench;

import dev.tokenledger.usage.UsageEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Realistic LLM calls, cheap to make: an organisation of {@value #USERS} users in {@value #WORKSPACES}
 * workspaces, each user working with two agents and three of the models the demo uses (real names from
 * the price book, one that nobody prices), cached prompts, reasoning tokens, a batch-tier share. Event
 * times are "now" (the caller passes the clock), as a live orchestrator records them. One instance per
 * thread: not thread-safe.
 */
final class BenchTraffic {
    static final int USERS = 1_000;
    static final int WORKSPACES = 50;

    /** model, provider, reasoning: the demo's models, weighted by repetition. */
    static final String[][] MODELS = {
            {"gpt-4o", "openai", "0"}, {"gpt-4o-mini", "openai", "0"}, {"o4-mini", "openai", "1"},
            {"claude-sonnet-4-5", "anthropic", "0"}, {"claude-haiku-4-5", "anthropic", "0"},
            {"gemini-2.5-pro", "vertex_ai", "1"}, {"gemini-2.5-flash", "vertex_ai", "1"},
            {"deepseek-chat", "deepseek", "0"}, {"acme-internal-llm-v2", "acme", "0"}};
    static final String[] AGENTS = {"planner", "coder", "reviewer", "support-bot", "researcher", "summarizer",
            "router", "sql-writer"};

    private static final String[] USER_IDS = new String[USERS];
    private static final String[] WORKSPACE_IDS = new String[WORKSPACES];
    private static final String[] TURNS = new String[1000];
    private static final String[] SESSIONS = new String[500];

    static {
        for (int i = 0; i < USERS; i++) {
            USER_IDS[i] = "user-" + i;
        }
        for (int i = 0; i < WORKSPACES; i++) {
            WORKSPACE_IDS[i] = "ws-" + i;
        }
        for (int i = 0; i < TURNS.length; i++) {
            TURNS[i] = "turn-" + i;
        }
        for (int i = 0; i < SESSIONS.length; i++) {
            SESSIONS[i] = "session-" + i;
        }
    }

    private final SplittableRandom random;

    BenchTraffic(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** The workspace of user {@code u}. */
    static int workspaceOf(int user) {
        return user % WORKSPACES;
    }

    /** The {@code k}-th (0..2) model of user {@code u}. */
    static int modelOf(int user, int k) {
        return (user + k * 3) % MODELS.length;
    }

    /** The {@code k}-th (0..1) agent of user {@code u}. */
    static int agentOf(int user, int k) {
        return (user / 7 + k * 5) % AGENTS.length;
    }

    List<UsageEvent> next(int count, Instant at) {
        List<UsageEvent> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(next(at));
        }
        return out;
    }

    UsageEvent next(Instant at) {
        return next(at, null);
    }

    /** One call at {@code at}; {@code userId} overrides the simulated user (freshness probes use unique ids). */
    UsageEvent next(Instant at, String userId) {
        SplittableRandom r = random;
        int user = r.nextInt(USERS);
        String[] model = MODELS[modelOf(user, r.nextInt(3))];
        long prompt = 200 + r.nextInt(6_000);
        long completion = 50 + r.nextInt(1_500);
        long cached = r.nextInt(3) == 0 ? prompt / 2 : 0;
        long cacheWrite = cached == 0 && model[1].equals("anthropic") && r.nextInt(4) == 0 ? prompt / 3 : 0;
        long thoughts = 0;
        if (model[2].equals("1")) {
            thoughts = 100 + r.nextInt(3_000);
            completion += thoughts;
        }
        return UsageEvent.builder()
                .eventId(randomUuid(r))
                .eventTime(at)
                .userId(userId != null ? userId : USER_IDS[user])
                .workspaceId(WORKSPACE_IDS[workspaceOf(user)])
                .conversationId(randomUuid(r))
                .messageId("msg-" + Long.toHexString(r.nextLong()))
                .agentId(AGENTS[agentOf(user, r.nextInt(2))])
                .agentDbId(Integer.toString(100 + user % 50))
                .model(model[0])
                .provider(model[1])
                .promptTokens(prompt)
                .completionTokens(completion)
                .cachedTokens(cached)
                .cacheCreationTokens(cacheWrite)
                .thoughtsTokens(thoughts)
                .callSequence(r.nextInt(20))
                .turnId(TURNS[r.nextInt(TURNS.length)])
                .sessionId(SESSIONS[r.nextInt(SESSIONS.length)])
                .serviceTier(model[0].equals("gpt-4o-mini") && r.nextInt(10) == 0 ? "batch" : "standard")
                .build();
    }

    /** A version-4 UUID from this thread's generator (UUID.randomUUID() would contend on SecureRandom). */
    static UUID randomUuid(SplittableRandom r) {
        long msb = (r.nextLong() & ~0xF000L) | 0x4000L;
        long lsb = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb);
    }
}
