package dev.tokenledger.pricing;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * How a model name given by a caller was matched to a price book key, tried in this order:
 * <ol>
 *   <li>{@link #EXACT}: the name is a key ({@code gpt-4o});</li>
 *   <li>{@link #CASE_INSENSITIVE}: the name is a key ignoring case ({@code GPT-4o});</li>
 *   <li>{@link #PROVIDER_PREFIX_STRIPPED}: the part after the first {@code /} is a key whose provider is the
 *       prefix, or starts with it followed by {@code _} or {@code -} ({@code openai/gpt-4o} → {@code gpt-4o};
 *       {@code vertex_ai/gemini-1.5-pro} → {@code gemini-1.5-pro} of {@code vertex_ai-language-models});</li>
 *   <li>{@link #PROVIDER_PREFIX_ADDED}: {@code provider/name} is a key ({@code gemini-2.5-pro} with provider
 *       {@code gemini} → {@code gemini/gemini-2.5-pro});</li>
 *   <li>{@link #ALIAS}: an admin's alias valid at the event's time names the key
 *       ({@code ./tokenledger pricing alias set});</li>
 *   <li>{@link #RESOURCE_NAME_STRIPPED}: the name is an API resource name whose last segment matches as above
 *       ({@code models/gemini-2.5-pro}, Gemini's API; {@code projects/p/locations/l/publishers/google/models/
 *       gemini-2.5-pro}, Vertex AI's);</li>
 *   <li>{@link #VERSION_SUFFIX_STRIPPED}: without its dated or version suffix the name matches as above
 *       ({@code claude-sonnet-4-5-20991231} → {@code claude-sonnet-4-5}; {@code gpt-4o-2099-01-01} →
 *       {@code gpt-4o}; {@code claude-sonnet-4-5@20250929} → {@code claude-sonnet-4-5}; {@code
 *       gemini-2.5-pro-002} → {@code gemini-2.5-pro}). A dated name the book lists is always priced as itself:
 *       this only applies to snapshots the feed does not list.</li>
 * </ol>
 * Anything else is unpriced: no fuzzy match ever prices a call as a different model or family.
 */
public enum MatchKind {
    EXACT, CASE_INSENSITIVE, PROVIDER_PREFIX_STRIPPED, PROVIDER_PREFIX_ADDED, ALIAS, RESOURCE_NAME_STRIPPED,
    VERSION_SUFFIX_STRIPPED;

    private static final MatchKind[] VALUES = values();

    static MatchKind of(int ordinal) {
        return VALUES[ordinal];
    }

    /** A documented fallback (tried after aliases): an alias may give such a name its own price. */
    public boolean isFallback() {
        return this == ALIAS || this == RESOURCE_NAME_STRIPPED || this == VERSION_SUFFIX_STRIPPED;
    }

    /** The stored, lower-case name ({@code llm_usage.pricing_match}). */
    @JsonValue
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
