package dev.tokenledger.orchestrator;

import dev.tokenledger.usage.UsageEvent;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * A simulated orchestrator: users in workspaces run agents that call real models (names from the price
 * book), with cached prompts, reasoning, long-context calls past the 200k tier, a batch-tier call, and
 * one model nobody prices. Deterministic for a given seed, spread over the last 30 days.
 */
final class DemoTraffic {
    /** A model as an orchestrator names it, and what kind of calls it gets. */
    record Model(String name, String provider, boolean reasoning, boolean longContext, int weight) {
    }

    static final List<Model> MODELS = List.of(
            new Model("gpt-4o", "openai", false, false, 20),
            new Model("gpt-4o-mini", "openai", false, false, 25),
            new Model("o4-mini", "openai", true, false, 8),
            new Model("claude-sonnet-4-5", "anthropic", false, true, 15),
            new Model("claude-haiku-4-5", "anthropic", false, false, 10),
            new Model("gemini-2.5-pro", "vertex_ai", true, true, 8),
            new Model("gemini-2.5-flash", "vertex_ai", true, false, 8),
            new Model("deepseek-chat", "deepseek", false, false, 5),
            new Model("acme-internal-llm-v2", "acme", false, false, 1)); // nobody prices it: recorded as unpriced

    static final String UNKNOWN_MODEL = "acme-internal-llm-v2";
    private static final String[] WORKSPACES = {"acme-research", "acme-support", "globex"};
    private static final String[] AGENTS = {"planner", "coder", "reviewer", "support-bot"};

    private final Random random;
    private final Instant now;
    private final int totalWeight;
    private long produced;

    DemoTraffic(long seed, Instant now) {
        this.random = new Random(seed);
        this.now = now.truncatedTo(ChronoUnit.MILLIS);
        this.totalWeight = MODELS.stream().mapToInt(Model::weight).sum();
    }

    List<UsageEvent> next(int count) {
        List<UsageEvent> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(call());
        }
        return out;
    }

    private UsageEvent call() {
        // The first calls of every run make sure each kind shows up, however few events are asked for.
        long n = produced++;
        Model m = n == 0 ? model(UNKNOWN_MODEL) : n == 1 ? model("claude-sonnet-4-5") : n == 2 ? model("o4-mini") : pick();
        int ws = random.nextInt(WORKSPACES.length);
        String user = WORKSPACES[ws].split("-")[0] + "-user-" + (1 + random.nextInt(ws == 2 ? 2 : 3));
        String agent = AGENTS[ws == 1 ? 3 : random.nextInt(3)];
        Instant t = now.minus(Duration.ofSeconds(random.nextLong(30L * 24 * 3600)));
        long prompt = 200 + random.nextInt(6_000);
        long completion = 50 + random.nextInt(1_500);
        long cached = 0;
        long cacheWrite = 0;
        long thoughts = 0;
        if (n == 1 || m.longContext() && random.nextInt(20) == 0) {
            prompt = 200_001 + random.nextInt(300_000); // past the 200k tier: priced at the tier rate
        }
        if (random.nextInt(3) == 0) {
            cached = prompt / 2; // a prompt-cache hit
        } else if (m.provider().equals("anthropic") && random.nextInt(4) == 0) {
            cacheWrite = prompt / 3; // writing the cache
        }
        if (m.reasoning()) {
            thoughts = 100 + random.nextInt(3_000);
            completion += thoughts;
        }
        String tier = m.name().equals("gpt-4o-mini") && random.nextInt(10) == 0 ? "batch" : "standard";
        return UsageEvent.builder()
                .eventId(UUID.nameUUIDFromBytes(("demo/" + random.nextLong()).getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .eventTime(t)
                .userId(user)
                .workspaceId(WORKSPACES[ws])
                .conversationId(new UUID(random.nextLong(), random.nextLong()))
                .messageId("msg-" + Long.toHexString(random.nextLong()))
                .agentId(agent)
                .agentDbId(Integer.toString(100 + agent.length()))
                .model(m.name())
                .provider(m.provider())
                .promptTokens(prompt)
                .completionTokens(completion)
                .cachedTokens(cached)
                .cacheCreationTokens(cacheWrite)
                .thoughtsTokens(thoughts)
                .callSequence(random.nextInt(20))
                .turnId("turn-" + random.nextInt(1000))
                .sessionId("session-" + random.nextInt(200))
                .serviceTier(tier)
                .build();
    }

    private static Model model(String name) {
        return MODELS.stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
    }

    private Model pick() {
        int r = random.nextInt(totalWeight);
        for (Model m : MODELS) {
            r -= m.weight();
            if (r < 0) {
                return m;
            }
        }
        return MODELS.getFirst();
    }
}
