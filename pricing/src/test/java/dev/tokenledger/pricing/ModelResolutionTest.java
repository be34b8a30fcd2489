package dev.tokenledger.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Name resolution over the real July feed: exact, case-insensitive, prefix stripped, prefix added, else nothing. */
class ModelResolutionTest {
    private static PriceSnapshot snapshot;

    @BeforeAll
    static void loadTheJulyFeed() {
        snapshot = PriceSnapshot.of(TestFeeds.catalog(TestFeeds.JUL));
    }

    private static String key(String model, String provider) {
        int r = snapshot.resolve(model, provider);
        return r == PriceSnapshot.UNRESOLVED ? null : snapshot.key(r);
    }

    private static MatchKind kind(String model, String provider) {
        int r = snapshot.resolve(model, provider);
        return r == PriceSnapshot.UNRESOLVED ? null : snapshot.matchKind(r);
    }

    @Test
    void anExactKeyResolvesToItself() {
        assertThat(key("gpt-4o", "openai")).isEqualTo("gpt-4o");
        assertThat(kind("gpt-4o", "openai")).isEqualTo(MatchKind.EXACT);
        assertThat(key("anthropic.claude-3-5-sonnet-20240620-v1:0", null))
                .isEqualTo("anthropic.claude-3-5-sonnet-20240620-v1:0");
    }

    @Test
    void aNameDifferingOnlyInCaseResolvesCaseInsensitively() {
        assertThat(key("GPT-4o", null)).isEqualTo("gpt-4o");
        assertThat(kind("GPT-4o", null)).isEqualTo(MatchKind.CASE_INSENSITIVE);
        assertThat(key("Claude-Sonnet-4-5", "anthropic")).isEqualTo("claude-sonnet-4-5");
    }

    @Test
    void anExactKeyWinsOverAnotherKeyThatDiffersOnlyInCase() {
        // The feed lists both spellings of this Together AI model.
        assertThat(key("together_ai/BAAI/bge-base-en-v1.5", null)).isEqualTo("together_ai/BAAI/bge-base-en-v1.5");
        assertThat(key("together_ai/baai/bge-base-en-v1.5", null)).isEqualTo("together_ai/baai/bge-base-en-v1.5");
        assertThat(kind("TOGETHER_AI/Baai/bge-base-en-v1.5", null)).isEqualTo(MatchKind.CASE_INSENSITIVE);
        assertThat(key("TOGETHER_AI/Baai/bge-base-en-v1.5", null)).isIn("together_ai/BAAI/bge-base-en-v1.5",
                "together_ai/baai/bge-base-en-v1.5");
    }

    @Test
    void theProviderPrefixIsStrippedWhenItNamesTheModelsProvider() {
        assertThat(key("openai/gpt-4o", null)).isEqualTo("gpt-4o");
        assertThat(kind("openai/gpt-4o", null)).isEqualTo(MatchKind.PROVIDER_PREFIX_STRIPPED);
        assertThat(key("anthropic/claude-sonnet-4-5", null)).isEqualTo("claude-sonnet-4-5");
        assertThat(key("OpenAI/GPT-4o", null)).isEqualTo("gpt-4o");
        // A provider family: vertex_ai names vertex_ai-language-models, bedrock names bedrock.
        assertThat(key("vertex_ai/gemini-2.5-flash", null)).isEqualTo("gemini-2.5-flash");
        assertThat(key("bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0", null))
                .isEqualTo("anthropic.claude-3-5-sonnet-20240620-v1:0");
    }

    @Test
    void aPrefixNamingAnotherProviderIsNotStrippedIntoADifferentModel() {
        assertThat(key("mistral/gpt-4o", null)).isNull();
        assertThat(key("openrouter/gpt-4o", null)).isNull();
        assertThat(key("deepseek/claude-sonnet-4-5", null)).isNull();
    }

    @Test
    void theCallersProviderIsAddedAsAPrefixWhenThatKeyExists() {
        assertThat(key("gemini-1.5-flash", "gemini")).isEqualTo("gemini/gemini-1.5-flash");
        assertThat(kind("gemini-1.5-flash", "gemini")).isEqualTo(MatchKind.PROVIDER_PREFIX_ADDED);
        assertThat(key("deepseek-r1", "DeepSeek")).isEqualTo("deepseek/deepseek-r1");
        assertThat(key("gemini-1.5-flash", null)).isNull();
    }

    @Test
    void theOrderIsExactThenCaseThenStrippedThenAdded() {
        // gpt-4o exists bare, so the provider azure is not added (azure/gpt-4o is a different key).
        assertThat(key("gpt-4o", "azure")).isEqualTo("gpt-4o");
        assertThat(key("azure/gpt-4o", "openai")).isEqualTo("azure/gpt-4o");
    }

    @Test
    void anUnknownOrNearlyMatchingNameIsUnresolvedNeverGuessed() {
        assertThat(key("gpt4o", "openai")).isNull();
        assertThat(key("gpt-4o-mini-tts-pro", "openai")).isNull();
        assertThat(key("claude-sonnet-4-5-v2", null)).as("not a version suffix").isNull();
        assertThat(key("gpt-4o-20991399", null)).as("not a date").isNull();
        assertThat(key("models/", null)).isNull();
        assertThat(key("gemini-2.5-pro-0001", null)).as("not a stable version (three digits)").isNull();
        assertThat(key("gpt-4o ", "openai")).isNull();
        assertThat(key("openai/", "openai")).isNull();
        assertThat(key("/gpt-4o", null)).isNull();
        assertThat(key("", null)).isNull();
    }

    @Test
    void resolvingANameAndPickingItsWindowAllocatesNothing() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        String[] names = {"gpt-4o", "GPT-4o", "openai/gpt-4o", "gemini-1.5-flash", "no-such-model"};
        String[] providers = {"openai", null, null, "gemini", "openai"};
        long sink = 0;
        for (int warm = 0; warm < 200_000; warm++) {
            sink += lookUp(names, providers, warm);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 1_000_000; i++) {
            sink += lookUp(names, providers, i);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(sink).isNotZero();
        // A single allocation per lookup would be at least 16 MB here; the JVM's own bookkeeping (the
        // measurement itself, a late JIT transition) can account for a few hundred bytes in all.
        assertThat(allocated).as("bytes allocated by 1,000,000 lookups").isLessThan(4096);
    }

    private static long lookUp(String[] names, String[] providers, int i) {
        int n = i % names.length;
        int resolved = snapshot.resolve(names[n], providers[n]);
        if (resolved == PriceSnapshot.UNRESOLVED) {
            return 1;
        }
        Segment s = snapshot.segment(resolved, 1_780_000_000_000L + i);
        return s == null ? 2 : s.from() == Long.MIN_VALUE ? 3 : 4;
    }
}
