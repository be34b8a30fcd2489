package dev.tokenledger.orchestrator.http;

import dev.tokenledger.usage.FieldError;
import dev.tokenledger.usage.InvalidUsageEventException;
import dev.tokenledger.usage.UsageEvent;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * One OTLP span into a usage event, following the OpenTelemetry GenAI semantic conventions (docs/otel.md has the
 * table). A span is <b>counted</b> when it is a model call ({@code gen_ai.operation.name} {@code chat},
 * {@code text_completion}, {@code generate_content}, {@code embeddings}, or no operation name at all, as
 * instrumentations older than the attribute send) that carries token usage; <b>skipped</b> when it is an agent,
 * workflow, tool or retrieval span (their usage, if any, is the sum of model calls counted on their own spans:
 * counting it would count those calls twice); <b>ignored</b> when it carries no usage or names an operation these
 * conventions do not know as a model call. A counted span whose attributes cannot make a valid event is
 * <b>refused</b>, with a reason naming the attribute.
 *
 * <p>Token convention: the GenAI conventions say {@code gen_ai.usage.input_tokens} SHOULD include every kind of
 * input token, cached ones included, and {@code gen_ai.usage.reasoning.output_tokens} SHOULD be included in
 * {@code gen_ai.usage.output_tokens}: exactly tokenledger's {@code prompt_tokens} and {@code completion_tokens},
 * so the counts map one to one and no token is billed twice. A span whose cache counts exceed its input count
 * followed a provider's own convention instead (Anthropic's {@code input_tokens} excludes the cache): it is
 * refused rather than guessed at.
 */
final class OtlpSpanMapper {
    /** The resource or span attribute that names the span's tokenledger workspace. */
    static final String WORKSPACE_ATTRIBUTE = "tokenledger.workspace_id";

    static final Set<String> MODEL_CALLS = Set.of("chat", "text_completion", "generate_content", "embeddings");
    static final Set<String> NOT_MODEL_CALLS = Set.of("invoke_agent", "create_agent", "invoke_workflow",
            "execute_tool", "retrieval");

    // Each list: the current name first, then older names instrumentations still send.
    static final List<String> INPUT = List.of("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens");
    static final List<String> OUTPUT = List.of("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens");
    static final List<String> CACHE_READ = List.of("gen_ai.usage.cache_read.input_tokens",
            "gen_ai.usage.cache_read_input_tokens");
    static final List<String> CACHE_CREATION = List.of("gen_ai.usage.cache_creation.input_tokens",
            "gen_ai.usage.cache_creation_input_tokens");
    static final List<String> REASONING = List.of("gen_ai.usage.reasoning.output_tokens",
            "gen_ai.usage.reasoning_tokens");
    static final List<String> MODEL = List.of("gen_ai.response.model", "gen_ai.request.model");
    static final List<String> PROVIDER = List.of("gen_ai.provider.name", "gen_ai.system");
    static final List<String> USER = List.of("user.id", "enduser.id");
    /** The user of a span that names none. */
    static final String UNKNOWN_USER = "(unknown)";
    static final List<String> AGENT = List.of("gen_ai.agent.id", "gen_ai.agent.name");
    static final List<String> TIER = List.of("openai.response.service_tier", "openai.request.service_tier");

    /**
     * gen_ai.provider.name (and the older gen_ai.system) values whose price-book provider (LiteLLM's
     * {@code litellm_provider}) is spelt differently; any other value is kept as sent.
     */
    static final Map<String, String> PROVIDERS = Map.ofEntries(
            Map.entry("x_ai", "xai"),
            Map.entry("aws.bedrock", "bedrock"),
            Map.entry("gcp.vertex_ai", "vertex_ai"),
            Map.entry("gcp.gemini", "gemini"),
            Map.entry("gcp.gen_ai", "vertex_ai"),
            Map.entry("azure.ai.openai", "azure"),
            Map.entry("az.ai.openai", "azure"),
            Map.entry("azure.ai.inference", "azure_ai"),
            Map.entry("az.ai.inference", "azure_ai"),
            Map.entry("mistral_ai", "mistral"),
            Map.entry("ibm.watsonx.ai", "watsonx"));

    private static final HexFormat HEX = HexFormat.of();

    /**
     * Every attribute the mapping reads, each with a slot: a span's attributes are read in one pass into an array
     * (no map per span; a batch holds hundreds of spans of a dozen or more attributes each).
     */
    private static final Map<String, Integer> SLOTS;

    static {
        List<String> names = new java.util.ArrayList<>();
        for (List<String> l : List.of(INPUT, OUTPUT, CACHE_READ, CACHE_CREATION, REASONING, MODEL, PROVIDER, USER, AGENT,
                TIER)) {
            names.addAll(l);
        }
        names.addAll(List.of("gen_ai.operation.name", WORKSPACE_ATTRIBUTE, "gen_ai.conversation.id", "session.id",
                "gen_ai.response.id"));
        Map<String, Integer> slots = new HashMap<>();
        for (String n : names) {
            slots.put(n, slots.size());
        }
        SLOTS = Map.copyOf(slots);
    }

    enum Kind {
        COUNTED, SKIPPED, IGNORED, REFUSED
    }

    /**
     * What became of one span: {@code event} when counted; {@code reason}, in words, why it was refused, skipped or
     * ignored; {@code eventId} when counted or refused with readable ids.
     */
    record Outcome(Kind kind, UsageEvent event, UUID eventId, String reason) {
        static Outcome counted(UsageEvent e) {
            return new Outcome(Kind.COUNTED, e, e.eventId(), null);
        }

        static Outcome refused(UUID eventId, String reason) {
            return new Outcome(Kind.REFUSED, null, eventId, reason);
        }

        static Outcome skipped(String why) {
            return new Outcome(Kind.SKIPPED, null, null, why);
        }

        static Outcome ignored(String why) {
            return new Outcome(Kind.IGNORED, null, null, why);
        }
    }

    private OtlpSpanMapper() {
    }

    /**
     * The attributes the mapping reads, by slot (others are dropped); the first of a repeated key wins. A resource's
     * are read once for all its spans.
     */
    static AnyValue[] attributes(List<KeyValue> list) {
        AnyValue[] slots = new AnyValue[SLOTS.size()];
        for (KeyValue kv : list) {
            Integer slot = SLOTS.get(kv.getKey());
            if (slot != null && slots[slot] == null) {
                slots[slot] = kv.getValue();
            }
        }
        return slots;
    }

    /**
     * @param resource          the attributes of the span's resource
     * @param requestWorkspace  the workspace the request itself names (an API key's, later), or null
     */
    static Outcome map(Span span, AnyValue[] resource, String requestWorkspace) {
        Attributes a = new Attributes(attributes(span.getAttributesList()), resource);
        String operation = a.spanText("gen_ai.operation.name");
        boolean hasUsage = a.hasAny(INPUT) || a.hasAny(OUTPUT) || a.hasAny(CACHE_READ) || a.hasAny(CACHE_CREATION)
                || a.hasAny(REASONING);
        if (operation != null && NOT_MODEL_CALLS.contains(operation)) {
            return Outcome.skipped(operation + " span: its usage is counted on its model-call spans");
        }
        if (!hasUsage) {
            return Outcome.ignored("no gen_ai.usage attributes");
        }
        if (operation != null && !MODEL_CALLS.contains(operation)) {
            return Outcome.ignored("gen_ai.operation.name '" + EventFields.abbreviate(operation)
                    + "' is not a model call these conventions define");
        }

        UUID eventId = eventId(span);
        if (eventId == null) {
            return Outcome.refused(null, "trace_id must be 16 bytes and span_id 8 bytes, not all zero (got "
                    + span.getTraceId().size() + " and " + span.getSpanId().size() + " bytes)");
        }
        long input = a.tokens(INPUT, "missing: the call's input cannot be priced");
        // An embeddings call has no output; any other call without an output count would be priced as if it had none.
        long output = a.tokens(OUTPUT, "embeddings".equals(operation) ? null
                : "missing: the call's output cannot be priced (only embeddings spans may leave it out)");
        long cacheRead = a.tokens(CACHE_READ, null);
        long cacheCreation = a.tokens(CACHE_CREATION, null);
        long reasoning = a.tokens(REASONING, null);
        String model = a.spanText(MODEL);
        if (model == null || model.isBlank()) {
            a.problem(MODEL.getFirst() + " (or " + MODEL.get(1) + ") is required: the model prices the call");
        }
        long end = span.getEndTimeUnixNano();
        if (end <= 0) {
            a.problem("end_time_unix_nano is required (the call's time), got " + Long.toUnsignedString(end));
        }
        if (a.problems.isEmpty() && cacheRead <= UsageEvent.MAX_TOKENS && cacheCreation <= UsageEvent.MAX_TOKENS
                && cacheRead + cacheCreation > input) {
            a.problem(a.used(INPUT) + " (" + input + ") must include the cache reads and writes (" + a.used(CACHE_READ)
                    + " + " + a.used(CACHE_CREATION) + " = " + (cacheRead + cacheCreation) + "), as the GenAI"
                    + " conventions say; this looks like a provider's own count without the cache");
        }
        if (a.problems.isEmpty() && reasoning > output) {
            a.problem(a.used(OUTPUT) + " (" + output + ") must include " + a.used(REASONING) + " (" + reasoning + ")");
        }
        String workspace = a.text(WORKSPACE_ATTRIBUTE);
        if (workspace == null) {
            workspace = requestWorkspace;
        }
        if (workspace == null) {
            a.problem("no workspace: set the resource (or span) attribute " + WORKSPACE_ATTRIBUTE);
        }
        String user = a.text(USER);
        if (user == null) {
            // Most instrumentations set no user: the call still cost money, so it is recorded for a user that says so
            // (reports show it) rather than refused.
            user = UNKNOWN_USER;
        }
        String provider = a.spanText(PROVIDER);
        String conversation = a.text("gen_ai.conversation.id");
        String agent = a.text(AGENT);
        String session = a.text("session.id");
        String tier = a.spanText(TIER);
        String responseId = a.spanText("gen_ai.response.id");
        if (!a.problems.isEmpty()) {
            return Outcome.refused(eventId, String.join("; ", a.problems));
        }
        try {
            return Outcome.counted(UsageEvent.builder()
                    .eventId(eventId)
                    .eventTime(Instant.ofEpochSecond(0, end))
                    .userId(user)
                    .workspaceId(workspace)
                    .conversationId(conversationId(conversation))
                    .messageId(responseId)
                    .agentId(agent)
                    .model(model)
                    .provider(provider == null ? null : PROVIDERS.getOrDefault(provider, provider))
                    .promptTokens(input)
                    .completionTokens(output)
                    .cachedTokens(cacheRead)
                    .cacheCreationTokens(cacheCreation)
                    .thoughtsTokens(reasoning)
                    .sessionId(session)
                    .serviceTier(tier)
                    .build());
        } catch (InvalidUsageEventException e) {
            return Outcome.refused(eventId, e.errors().stream().map(x -> describe(x, a))
                    .collect(Collectors.joining("; ")));
        }
    }

    /**
     * The event id of a span: a name-based UUID (MD5, version 3; {@link UUID#nameUUIDFromBytes}) of its 16-byte
     * trace id followed by its 8-byte span id. The same span sent again is the same event: a duplicate, never a
     * second count. Null when the ids are not valid OTLP ids.
     */
    static UUID eventId(Span span) {
        if (span.getTraceId().size() != 16 || span.getSpanId().size() != 8 || allZero(span.getTraceId().toByteArray())
                || allZero(span.getSpanId().toByteArray())) {
            return null;
        }
        byte[] name = new byte[24];
        span.getTraceId().copyTo(name, 0);
        span.getSpanId().copyTo(name, 16);
        return UUID.nameUUIDFromBytes(name);
    }

    /**
     * tokenledger's conversation id is a UUID: a {@code gen_ai.conversation.id} that spells one is kept; any other
     * (OpenAI's {@code conv_…}, a thread name) becomes the name-based UUID of {@code "gen_ai.conversation.id:" + id},
     * the same UUID every time, so the conversation's calls still group together.
     */
    static UUID conversationId(String id) {
        if (id == null || id.isEmpty()) {
            return null;
        }
        UUID parsed = EventFields.parseUuid(id);
        return parsed != null ? parsed
                : UUID.nameUUIDFromBytes(("gen_ai.conversation.id:" + id).getBytes(StandardCharsets.UTF_8));
    }

    static String spanRef(Span span) {
        return HEX.formatHex(span.getTraceId().toByteArray()) + "/" + HEX.formatHex(span.getSpanId().toByteArray());
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** An event's field error in the words of the attribute it came from. */
    private static String describe(FieldError e, Attributes a) {
        String source = switch (e.field()) {
            case "user_id" -> a.used(USER);
            case "workspace_id" -> a.used(List.of(WORKSPACE_ATTRIBUTE));
            case "model" -> a.used(MODEL);
            case "provider" -> a.used(PROVIDER);
            case "agent_id" -> a.used(AGENT);
            case "session_id" -> "session.id";
            case "message_id" -> "gen_ai.response.id";
            case "service_tier" -> a.used(TIER);
            case "prompt_tokens" -> a.used(INPUT);
            case "completion_tokens" -> a.used(OUTPUT);
            case "cached_tokens" -> a.used(CACHE_READ);
            case "cache_creation_tokens" -> a.used(CACHE_CREATION);
            case "thoughts_tokens" -> a.used(REASONING);
            case "event_time" -> "end_time_unix_nano";
            default -> null;
        };
        return (source == null ? e.field() : source + " (" + e.field() + ")") + " " + e.problem();
    }

    /** The attributes of one span and its resource, read with the problems collected rather than thrown. */
    private static final class Attributes {
        private final AnyValue[] span;
        private final AnyValue[] resource;
        final List<String> problems = new java.util.ArrayList<>(2);

        Attributes(AnyValue[] span, AnyValue[] resource) {
            this.span = span;
            this.resource = resource;
        }

        private static AnyValue get(AnyValue[] slots, String name) {
            return slots[SLOTS.get(name)];
        }

        void problem(String p) {
            problems.add(p);
        }

        boolean hasAny(List<String> names) {
            for (String n : names) {
                if (get(span, n) != null) {
                    return true;
                }
            }
            return false;
        }

        /** The name of the first of {@code names} the span (or its resource) carries, else the first name. */
        String used(List<String> names) {
            for (String n : names) {
                if (get(span, n) != null || get(resource, n) != null) {
                    return n;
                }
            }
            return names.getFirst();
        }

        /**
         * A token count from the first of {@code names} on the span; 0 if none, and then {@code missing} (unless null)
         * is a problem.
         */
        long tokens(List<String> names, String missing) {
            for (String n : names) {
                AnyValue v = get(span, n);
                if (v != null) {
                    return whole(n, v);
                }
            }
            if (missing != null) {
                problem(names.getFirst() + " (or " + names.get(1) + ") is " + missing);
            }
            return 0;
        }

        private long whole(String name, AnyValue v) {
            switch (v.getValueCase()) {
                case INT_VALUE -> {
                    if (v.getIntValue() >= 0) {
                        return v.getIntValue();
                    }
                    problem(name + " must not be negative, got " + v.getIntValue());
                }
                case DOUBLE_VALUE -> {
                    // Some SDKs (JavaScript's) send every number as a double: a whole one is a count.
                    double d = v.getDoubleValue();
                    if (d >= 0 && d <= 9.0e15 && d == Math.rint(d)) { // exact as a long; bounds are the event's to check
                        return (long) d;
                    }
                    problem(name + " must be a whole number of tokens, got " + d);
                }
                case STRING_VALUE -> {
                    String s = v.getStringValue().strip();
                    if (!s.isEmpty() && s.length() <= 18 && s.chars().allMatch(Character::isDigit)) {
                        return Long.parseLong(s);
                    }
                    problem(name + " must be a whole number of tokens, got '" + EventFields.abbreviate(s) + "'");
                }
                default -> problem(name + " must be a whole number of tokens, got " + kind(v));
            }
            return 0;
        }

        /** A text attribute from the span, else its resource. */
        String text(String name) {
            AnyValue v = get(span, name);
            if (v == null) {
                v = get(resource, name);
            }
            return v == null ? null : text(name, v);
        }

        /** The first of {@code names} found on the span or, failing all, on its resource. */
        String text(List<String> names) {
            for (String n : names) {
                AnyValue v = get(span, n);
                if (v != null) {
                    return text(n, v);
                }
            }
            for (String n : names) {
                AnyValue v = get(resource, n);
                if (v != null) {
                    return text(n, v);
                }
            }
            return null;
        }

        /** A text attribute that describes the call itself: only the span's own. */
        String spanText(String name) {
            AnyValue v = get(span, name);
            return v == null ? null : text(name, v);
        }

        String spanText(List<String> names) {
            for (String n : names) {
                AnyValue v = get(span, n);
                if (v != null) {
                    return text(n, v);
                }
            }
            return null;
        }

        private String text(String name, AnyValue v) {
            return switch (v.getValueCase()) {
                case STRING_VALUE -> v.getStringValue().isEmpty() ? null : v.getStringValue();
                case INT_VALUE -> Long.toString(v.getIntValue()); // user.id 42 is the user "42"
                default -> {
                    problem(name + " must be a string, got " + kind(v));
                    yield null;
                }
            };
        }

        private static String kind(AnyValue v) {
            return switch (v.getValueCase()) {
                case STRING_VALUE -> "a string";
                case BOOL_VALUE -> "a boolean";
                case INT_VALUE -> "an int";
                case DOUBLE_VALUE -> "a double";
                case ARRAY_VALUE -> "an array";
                case KVLIST_VALUE -> "a key-value list";
                case BYTES_VALUE -> "bytes";
                default -> "no value";
            };
        }
    }
}
