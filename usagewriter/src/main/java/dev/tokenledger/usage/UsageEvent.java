package dev.tokenledger.usage;

import dev.tokenledger.pricing.BilledExtras;
import dev.tokenledger.pricing.ServiceTier;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One LLM call, as the orchestrator reports it. Immutable and validated on construction: every field
 * error is collected and thrown together as an {@link InvalidUsageEventException}.
 *
 * <p>Token convention (the same one pricing uses): {@code promptTokens} counts all input tokens,
 * including cache reads ({@code cachedTokens}), cache writes ({@code cacheCreationTokens} with a
 * 5-minute TTL, {@code cacheCreation1hTokens} with a 1-hour TTL) and audio input; {@code completionTokens}
 * counts all output, including reasoning ({@code thoughtsTokens}) and audio output;
 * {@code toolUsePromptTokens} are extra input outside {@code promptTokens}. Hence
 * {@code totalTokens = promptTokens + completionTokens + toolUsePromptTokens}. Image tokens are parts too:
 * {@code imagePromptTokens} of {@code promptTokens}, {@code imageCompletionTokens} of {@code completionTokens}.
 *
 * <p>What a call is billed for besides tokens: {@code webSearchRequests}, images priced per image
 * ({@code inputImages}, {@code outputImages}) and seconds of audio and video priced per second (exact decimals,
 * at most milliseconds); {@code inferenceGeo} is where the provider ran it when it bills a regional uplift
 * (Anthropic's {@code inference_geo}, OpenAI's data-residency region), kept as sent.
 *
 * <p>{@code eventId} is the idempotency key: recording the same id again is a duplicate, not a second
 * event. Time-dependent bounds (not too far in the future, not past the ClickHouse TTL) are checked by
 * the recorder against its clock. {@code eventTime} is kept to the millisecond, as ClickHouse stores it.
 */
public record UsageEvent(
        UUID eventId,
        Instant eventTime,
        String userId,
        String workspaceId,
        UUID conversationId,
        String messageId,
        String agentId,
        String agentDbId,
        String model,
        String provider,
        long promptTokens,
        long completionTokens,
        long totalTokens,
        long toolUsePromptTokens,
        long thoughtsTokens,
        long cachedTokens,
        long cacheCreationTokens,
        long cacheCreation1hTokens,
        long audioPromptTokens,
        long audioCompletionTokens,
        int callSequence,
        String turnId,
        String sessionId,
        String serviceTier,
        long imagePromptTokens,
        long imageCompletionTokens,
        long webSearchRequests,
        long inputImages,
        long outputImages,
        BigDecimal inputAudioSeconds,
        BigDecimal inputVideoSeconds,
        BigDecimal outputAudioSeconds,
        BigDecimal outputVideoSeconds,
        String inferenceGeo) {

    /** No single call comes near this; a count above it is a bug upstream, not usage. */
    public static final long MAX_TOKENS = 100_000_000L;
    /** The most web searches or images one call is billed for; more is a bug upstream. */
    public static final long MAX_COUNT = 1_000_000L;
    /** The most seconds of audio or video one call is billed for (about 116 days). */
    public static final BigDecimal MAX_SECONDS = new BigDecimal("10000000");
    /** Seconds are kept to the millisecond, as both databases store them. */
    public static final int SECONDS_SCALE = BilledExtras.SECONDS_SCALE;
    public static final int MAX_ID_LENGTH = 256;

    public UsageEvent {
        // ClickHouse keeps milliseconds (DateTime64(3)); keeping more here would make Postgres and ClickHouse disagree.
        eventTime = eventTime == null ? null : eventTime.truncatedTo(ChronoUnit.MILLIS);
        messageId = orEmpty(messageId);
        agentId = orEmpty(agentId);
        agentDbId = orEmpty(agentDbId);
        provider = orEmpty(provider);
        turnId = orEmpty(turnId);
        sessionId = orEmpty(sessionId);
        serviceTier = serviceTier == null || serviceTier.isEmpty() ? "standard" : serviceTier;
        inferenceGeo = orEmpty(inferenceGeo);

        List<FieldError> errors = new ArrayList<>();
        if (eventId == null) {
            errors.add(new FieldError("event_id", "is required (a UUID, the idempotency key)"));
        }
        if (eventTime == null) {
            errors.add(new FieldError("event_time", "is required"));
        }
        requiredText(errors, "user_id", userId);
        requiredText(errors, "workspace_id", workspaceId);
        requiredText(errors, "model", model);
        optionalText(errors, "message_id", messageId);
        optionalText(errors, "agent_id", agentId);
        optionalText(errors, "agent_db_id", agentDbId);
        optionalText(errors, "provider", provider);
        optionalText(errors, "turn_id", turnId);
        optionalText(errors, "session_id", sessionId);
        tokens(errors, "prompt_tokens", promptTokens);
        tokens(errors, "completion_tokens", completionTokens);
        tokens(errors, "tool_use_prompt_tokens", toolUsePromptTokens);
        tokens(errors, "thoughts_tokens", thoughtsTokens);
        tokens(errors, "cached_tokens", cachedTokens);
        tokens(errors, "cache_creation_tokens", cacheCreationTokens);
        tokens(errors, "cache_creation_1h_tokens", cacheCreation1hTokens);
        tokens(errors, "audio_prompt_tokens", audioPromptTokens);
        tokens(errors, "audio_completion_tokens", audioCompletionTokens);
        tokens(errors, "image_prompt_tokens", imagePromptTokens);
        tokens(errors, "image_completion_tokens", imageCompletionTokens);
        count(errors, "web_search_requests", webSearchRequests);
        count(errors, "input_images", inputImages);
        count(errors, "output_images", outputImages);
        inputAudioSeconds = seconds(errors, "input_audio_seconds", inputAudioSeconds);
        inputVideoSeconds = seconds(errors, "input_video_seconds", inputVideoSeconds);
        outputAudioSeconds = seconds(errors, "output_audio_seconds", outputAudioSeconds);
        outputVideoSeconds = seconds(errors, "output_video_seconds", outputVideoSeconds);
        optionalText(errors, "inference_geo", inferenceGeo);
        if (totalTokens < 0 || totalTokens > 3 * MAX_TOKENS) {
            errors.add(new FieldError("total_tokens", "must be between 0 and " + 3 * MAX_TOKENS + ", got " + totalTokens));
        }
        if (errors.isEmpty()) {
            long inPrompt = cachedTokens + cacheCreationTokens + cacheCreation1hTokens + audioPromptTokens
                    + imagePromptTokens;
            if (inPrompt > promptTokens) {
                errors.add(new FieldError("prompt_tokens", "must include cached, cache-creation, audio and image"
                        + " prompt tokens (" + inPrompt + "), got " + promptTokens));
            }
            long inCompletion = thoughtsTokens + audioCompletionTokens + imageCompletionTokens;
            if (inCompletion > completionTokens) {
                errors.add(new FieldError("completion_tokens", "must include thoughts, audio and image completion"
                        + " tokens (" + inCompletion + "), got " + completionTokens));
            }
            long sum = promptTokens + completionTokens + toolUsePromptTokens;
            if (totalTokens != sum) {
                errors.add(new FieldError("total_tokens", "must equal prompt + completion + tool_use_prompt tokens ("
                        + sum + "), got " + totalTokens));
            }
        }
        if (callSequence < 0) {
            errors.add(new FieldError("call_sequence", "must not be negative, got " + callSequence));
        }
        // Any name is recorded as sent: pricing maps the names providers document to a price tier and prices any
        // other at the standard rates, flagged (ServiceTier.of); usage is never refused for its tier's name.
        optionalText(errors, "service_tier", serviceTier);
        if (!errors.isEmpty()) {
            throw new InvalidUsageEventException(errors);
        }
    }

    /** An event of tokens only: no image tokens, nothing billed besides tokens. */
    public UsageEvent(UUID eventId, Instant eventTime, String userId, String workspaceId, UUID conversationId,
                      String messageId, String agentId, String agentDbId, String model, String provider,
                      long promptTokens, long completionTokens, long totalTokens, long toolUsePromptTokens,
                      long thoughtsTokens, long cachedTokens, long cacheCreationTokens, long cacheCreation1hTokens,
                      long audioPromptTokens, long audioCompletionTokens, int callSequence, String turnId,
                      String sessionId, String serviceTier) {
        this(eventId, eventTime, userId, workspaceId, conversationId, messageId, agentId, agentDbId, model, provider,
                promptTokens, completionTokens, totalTokens, toolUsePromptTokens, thoughtsTokens, cachedTokens,
                cacheCreationTokens, cacheCreation1hTokens, audioPromptTokens, audioCompletionTokens, callSequence,
                turnId, sessionId, serviceTier, 0, 0, 0, 0, 0, null, null, null, null, "");
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The price tier of {@link #serviceTier()}, the name as sent: pricing's one mapping of the names providers send
     * ({@link ServiceTier#of}); {@link ServiceTier#UNKNOWN} for a name none documents.
     */
    public ServiceTier tier() {
        return ServiceTier.of(serviceTier);
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    private static void requiredText(List<FieldError> errors, String field, String value) {
        if (value == null || value.isBlank()) {
            errors.add(new FieldError(field, "is required and must not be blank"));
        } else {
            optionalText(errors, field, value);
        }
    }

    private static void optionalText(List<FieldError> errors, String field, String value) {
        if (value.length() > MAX_ID_LENGTH) {
            errors.add(new FieldError(field, "must be at most " + MAX_ID_LENGTH + " characters, got " + value.length()));
        } else if (value.indexOf('\0') >= 0) {
            errors.add(new FieldError(field, "must not contain NUL characters"));
        } else {
            int bad = unpairedSurrogate(value);
            if (bad >= 0) {
                // UTF-8 cannot encode it: PostgreSQL and ClickHouse would store '?' instead, a different text.
                errors.add(new FieldError(field, "must be valid Unicode text (unpaired surrogate U+"
                        + String.format("%04X", (int) value.charAt(bad)) + " at index " + bad + ")"));
            }
        }
    }

    /** The index of the first UTF-16 surrogate that is not half of a pair, or -1. */
    private static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    private static void count(List<FieldError> errors, String field, long value) {
        if (value < 0) {
            errors.add(new FieldError(field, "must not be negative, got " + value));
        } else if (value > MAX_COUNT) {
            errors.add(new FieldError(field, "must be at most " + MAX_COUNT + " for one call, got " + value));
        }
    }

    /** Seconds at scale 3 (null is 0; pricing's one rule, {@link BilledExtras#secondsProblem}) within one call's bound. */
    private static BigDecimal seconds(List<FieldError> errors, String field, BigDecimal value) {
        String problem = BilledExtras.secondsProblem(value);
        if (problem == null && value != null && value.compareTo(MAX_SECONDS) > 0) {
            problem = "must be at most " + MAX_SECONDS + " for one call, got " + value.toPlainString();
        }
        if (problem != null) {
            errors.add(new FieldError(field, problem));
            return value;
        }
        return BilledExtras.normalizedSeconds(value);
    }

    private static void tokens(List<FieldError> errors, String field, long value) {
        if (value < 0) {
            errors.add(new FieldError(field, "must not be negative, got " + value));
        } else if (value > MAX_TOKENS) {
            errors.add(new FieldError(field, "must be at most " + MAX_TOKENS + " for one call, got " + value));
        }
    }


    /** Builds an event; {@code totalTokens} defaults to the sum of its parts when not set. */
    public static final class Builder {
        private UUID eventId;
        private Instant eventTime;
        private String userId;
        private String workspaceId;
        private UUID conversationId;
        private String messageId;
        private String agentId;
        private String agentDbId;
        private String model;
        private String provider;
        private long promptTokens;
        private long completionTokens;
        private Long totalTokens;
        private long toolUsePromptTokens;
        private long thoughtsTokens;
        private long cachedTokens;
        private long cacheCreationTokens;
        private long cacheCreation1hTokens;
        private long audioPromptTokens;
        private long audioCompletionTokens;
        private int callSequence;
        private String turnId;
        private String sessionId;
        private String serviceTier;
        private long imagePromptTokens;
        private long imageCompletionTokens;
        private long webSearchRequests;
        private long inputImages;
        private long outputImages;
        private BigDecimal inputAudioSeconds;
        private BigDecimal inputVideoSeconds;
        private BigDecimal outputAudioSeconds;
        private BigDecimal outputVideoSeconds;
        private String inferenceGeo;

        private Builder() {
        }

        public Builder eventId(UUID v) { this.eventId = v; return this; }
        public Builder eventTime(Instant v) { this.eventTime = v; return this; }
        public Builder userId(String v) { this.userId = v; return this; }
        public Builder workspaceId(String v) { this.workspaceId = v; return this; }
        public Builder conversationId(UUID v) { this.conversationId = v; return this; }
        public Builder messageId(String v) { this.messageId = v; return this; }
        public Builder agentId(String v) { this.agentId = v; return this; }
        public Builder agentDbId(String v) { this.agentDbId = v; return this; }
        public Builder model(String v) { this.model = v; return this; }
        public Builder provider(String v) { this.provider = v; return this; }
        public Builder promptTokens(long v) { this.promptTokens = v; return this; }
        public Builder completionTokens(long v) { this.completionTokens = v; return this; }
        public Builder totalTokens(Long v) { this.totalTokens = v; return this; }
        public Builder toolUsePromptTokens(long v) { this.toolUsePromptTokens = v; return this; }
        public Builder thoughtsTokens(long v) { this.thoughtsTokens = v; return this; }
        public Builder cachedTokens(long v) { this.cachedTokens = v; return this; }
        public Builder cacheCreationTokens(long v) { this.cacheCreationTokens = v; return this; }
        public Builder cacheCreation1hTokens(long v) { this.cacheCreation1hTokens = v; return this; }
        public Builder audioPromptTokens(long v) { this.audioPromptTokens = v; return this; }
        public Builder audioCompletionTokens(long v) { this.audioCompletionTokens = v; return this; }
        public Builder callSequence(int v) { this.callSequence = v; return this; }
        public Builder turnId(String v) { this.turnId = v; return this; }
        public Builder sessionId(String v) { this.sessionId = v; return this; }
        public Builder serviceTier(String v) { this.serviceTier = v; return this; }
        public Builder imagePromptTokens(long v) { this.imagePromptTokens = v; return this; }
        public Builder imageCompletionTokens(long v) { this.imageCompletionTokens = v; return this; }
        public Builder webSearchRequests(long v) { this.webSearchRequests = v; return this; }
        public Builder inputImages(long v) { this.inputImages = v; return this; }
        public Builder outputImages(long v) { this.outputImages = v; return this; }
        public Builder inputAudioSeconds(BigDecimal v) { this.inputAudioSeconds = v; return this; }
        public Builder inputVideoSeconds(BigDecimal v) { this.inputVideoSeconds = v; return this; }
        public Builder outputAudioSeconds(BigDecimal v) { this.outputAudioSeconds = v; return this; }
        public Builder outputVideoSeconds(BigDecimal v) { this.outputVideoSeconds = v; return this; }
        public Builder inferenceGeo(String v) { this.inferenceGeo = v; return this; }

        public UsageEvent build() {
            long total = totalTokens != null ? totalTokens : promptTokens + completionTokens + toolUsePromptTokens;
            return new UsageEvent(eventId, eventTime, userId, workspaceId, conversationId, messageId, agentId,
                    agentDbId, model, provider, promptTokens, completionTokens, total, toolUsePromptTokens,
                    thoughtsTokens, cachedTokens, cacheCreationTokens, cacheCreation1hTokens, audioPromptTokens,
                    audioCompletionTokens, callSequence, turnId, sessionId, serviceTier, imagePromptTokens,
                    imageCompletionTokens, webSearchRequests, inputImages, outputImages, inputAudioSeconds,
                    inputVideoSeconds, outputAudioSeconds, outputVideoSeconds, inferenceGeo);
        }
    }
}
