package dev.tokenledger.pricing;

/**
 * How a model name given by a caller was matched to a price book key, tried in this order:
 * <ol>
 *   <li>{@link #EXACT}: the name is a key ({@code gpt-4o});</li>
 *   <li>{@link #CASE_INSENSITIVE}: the name is a key ignoring case ({@code GPT-4o});</li>
 *   <li>{@link #PROVIDER_PREFIX_STRIPPED}: the part after the first {@code /} is a key whose provider is the
 *       prefix, or starts with it followed by {@code _} or {@code -} ({@code openai/gpt-4o} → {@code gpt-4o};
 *       {@code vertex_ai/gemini-1.5-pro} → {@code gemini-1.5-pro} of {@code vertex_ai-language-models});</li>
 *   <li>{@link #PROVIDER_PREFIX_ADDED}: {@code provider/name} is a key ({@code gemini-2.5-pro} with provider
 *       {@code gemini} → {@code gemini/gemini-2.5-pro}).</li>
 * </ol>
 * Anything else is unpriced: no fuzzy match ever prices a call as a different model.
 */
public enum MatchKind {
    EXACT, CASE_INSENSITIVE, PROVIDER_PREFIX_STRIPPED, PROVIDER_PREFIX_ADDED;

    private static final MatchKind[] VALUES = values();

    static MatchKind of(int ordinal) {
        return VALUES[ordinal];
    }
}
