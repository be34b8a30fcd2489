package dev.tokenledger.pricing;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The documented forms a provider's model name takes in real traffic that the price book lists under a shorter
 * name (see {@link MatchKind#RESOURCE_NAME_STRIPPED} and {@link MatchKind#VERSION_SUFFIX_STRIPPED}). Each rule
 * only drops a resource path or a version of the same model: never a word of its name, so no rule can turn one
 * model or family into another.
 */
final class ModelNames {
    /** Gemini API ({@code models/gemini-2.5-pro}) and Vertex AI ({@code projects/p/locations/l/publishers/google/models/x}). */
    private static final Pattern RESOURCE = Pattern.compile("^(?:projects/[^/]+/locations/[^/]+/)?(?:publishers/[^/]+/)?"
            + "models/([^/]+)$");
    /** Vertex AI's version label ({@code claude-sonnet-4-5@20250929}, {@code gemini-pro@001}). */
    private static final Pattern AT_VERSION = Pattern.compile("^(.+[^@])@[A-Za-z0-9._-]+$");
    /** A snapshot date ({@code -20250929} as Anthropic, {@code -2024-11-20} as OpenAI). */
    private static final Pattern DATE = Pattern.compile("^(.+)-(?:20\\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])"
            + "|20\\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01]))$");
    /** Gemini's stable versions ({@code gemini-1.5-pro-002}; LiteLLM strips them for gemini and vertex_ai). */
    private static final Pattern GEMINI_VERSION = Pattern.compile("^(.*gemini[^/]*)-\\d{3}$", Pattern.CASE_INSENSITIVE);

    private ModelNames() {
    }

    /** The model segment of an API resource name, or null when the name is not one. */
    static String withoutResourcePath(String name) {
        if (!name.contains("models/")) {
            return null; // the common case, without a matcher
        }
        Matcher m = RESOURCE.matcher(name);
        return m.matches() ? m.group(1) : null;
    }

    /** The name without its version label, snapshot date or Gemini stable version, or null when it has none. */
    static String withoutVersion(String name) {
        if (name.isEmpty() || (name.indexOf('@') < 0 && !Character.isDigit(name.charAt(name.length() - 1)))) {
            return null; // the common case, without a matcher
        }
        for (Pattern p : new Pattern[] {AT_VERSION, DATE, GEMINI_VERSION}) {
            Matcher m = p.matcher(name);
            if (m.matches()) {
                return m.group(1);
            }
        }
        return null;
    }
}
