package dev.tokenledger.usage.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.clickhouse.TestClickHouse;
import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import dev.tokenledger.usage.FieldError;
import dev.tokenledger.usage.InvalidUsageEventException;
import dev.tokenledger.usage.RecordResult;
import dev.tokenledger.usage.RecorderSettings;
import dev.tokenledger.usage.TestPipeline;
import dev.tokenledger.usage.UsageEvent;
import dev.tokenledger.usage.UsageWriteRequestV1;
import dev.tokenledger.usage.WriterSettings;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Scenario "bad-input", event side: property-based fuzzing of what callers hand to the recorder. Any
 * input to {@link UsageEvent}'s constructor gives a valid event or an {@link InvalidUsageEventException}
 * naming fields, never another exception; a mixed list is split exactly into accepted, duplicate and
 * rejected, and every good event in it is recorded, and written to ClickHouse, exactly as given.
 * (The price-feed side is {@code PriceFeedFuzzTest} in the pricing module; the HTTP body parser is fuzzed
 * with the HTTP API, see RELIABILITY.md.)
 */
@Tag(Chaos.TAG)
@Tag("chaos-bad-input")
class BadInputFuzzTest {
    private static final Set<String> FIELDS = Set.of("event_id", "event_time", "user_id", "workspace_id",
            "message_id", "agent_id", "agent_db_id", "model", "provider", "prompt_tokens", "completion_tokens",
            "total_tokens", "tool_use_prompt_tokens", "thoughts_tokens", "cached_tokens", "cache_creation_tokens",
            "cache_creation_1h_tokens", "audio_prompt_tokens", "audio_completion_tokens", "call_sequence", "turn_id",
            "session_id", "service_tier");

    private static PostgresDatabase postgres;
    private static ClickHouse clickHouse;
    private static TestPipeline pipeline;
    private static final AtomicLong constructed = new AtomicLong();
    private static final AtomicLong refused = new AtomicLong();
    private static final AtomicLong offered = new AtomicLong();
    private static final AtomicLong accepted = new AtomicLong();
    private static final AtomicLong rejected = new AtomicLong();
    private static final AtomicLong written = new AtomicLong();
    private static final AtomicLong mismatches = new AtomicLong();

    @BeforeContainer
    static void start() {
        postgres = TestPostgres.freshDatabase("chaos_bad_input");
        clickHouse = TestClickHouse.embedded("chaos_bad_input");
        pipeline = TestPipeline.manual(postgres, clickHouse, WriterSettings.DEFAULTS);
    }

    @AfterContainer
    static void stop() {
        if (pipeline != null) {
            ChaosReport report = new ChaosReport("bad input (events)", constructed.get() + " generated events, "
                    + offered.get() + " in mixed record() lists", "random field values (nulls, blanks, NUL, any Unicode,"
                    + " 257+ chars, negative/huge tokens, any instant, unknown tiers), out-of-bounds times, duplicate ids",
                    accepted.get(), written.get(), accepted.get() - written.get(), 0, null,
                    refused.get() + " events refused by the constructor with field errors; " + rejected.get()
                            + " rejected by the recorder's time bounds; " + mismatches.get()
                            + " stored or written differently from what was given");
            report.publish();
            pipeline.close();
            clickHouse.close();
            postgres.close();
        }
    }

    /**
     * A valid event with up to four of its 24 arguments replaced by anything of the right type: null,
     * blank, NUL, any Unicode (unpaired surrogates included), too long, negative or huge counts, any instant.
     */
    @Property(tries = 3_000)
    void anyInputGivesAValidEventOrAnInvalidUsageEventExceptionNamingFields(@ForAll("eventArguments") Object[] a) {
        constructed.incrementAndGet();
        UsageEvent event;
        try {
            event = new UsageEvent((UUID) a[0], (Instant) a[1], (String) a[2], (String) a[3], (UUID) a[4],
                    (String) a[5], (String) a[6], (String) a[7], (String) a[8], (String) a[9], (long) a[10],
                    (long) a[11], (long) a[12], (long) a[13], (long) a[14], (long) a[15], (long) a[16], (long) a[17],
                    (long) a[18], (long) a[19], (int) a[20], (String) a[21], (String) a[22], (String) a[23]);
        } catch (InvalidUsageEventException e) {
            refused.incrementAndGet();
            assertThat(e.errors()).as("an invalid event names what is wrong").isNotEmpty();
            for (FieldError error : e.errors()) {
                assertThat(FIELDS).as("a field the API has").contains(error.field());
                assertThat(error.problem()).isNotBlank();
            }
            assertThat(e.getMessage()).contains(e.errors().getFirst().field());
            return;
        }
        // Anything else thrown fails the property. A valid event keeps every rule.
        assertValid(event);
    }

    @Property // tries: jqwik.tries.default (10 quick, 200 under -Pchaos)
    void aMixedListIsSplitExactlyAndEveryGoodEventIsRecordedAndWrittenAsGiven(@ForAll("mixedLists") List<Offer> offers)
            throws SQLException {
        List<UsageEvent> events = offers.stream().map(Offer::event).toList();
        offered.addAndGet(events.size());
        List<RecordResult> results = pipeline.recorder.record(events);

        assertThat(results).hasSize(events.size());
        Set<UUID> firstSeen = new HashSet<>();
        Map<UUID, UsageEvent> good = new HashMap<>();
        for (int i = 0; i < events.size(); i++) {
            UsageEvent e = events.get(i);
            RecordResult r = results.get(i);
            assertThat(r.eventId()).isEqualTo(e.eventId());
            if (offers.get(i).outOfBounds()) {
                rejected.incrementAndGet();
                assertThat(r.status()).isEqualTo(RecordResult.Status.REJECTED);
                assertThat(r.errors()).extracting(FieldError::field).containsExactly("event_time");
            } else if (firstSeen.add(e.eventId())) {
                accepted.incrementAndGet();
                assertThat(r.status()).isEqualTo(RecordResult.Status.ACCEPTED);
                good.put(e.eventId(), e);
            } else {
                assertThat(r.status()).isEqualTo(RecordResult.Status.DUPLICATE);
            }
        }
        Map<UUID, Map<String, String>> stored = storedInPostgres(good.keySet());
        assertThat(stored.keySet()).as("every good event is recorded").isEqualTo(good.keySet());
        good.forEach((id, e) -> assertSame("PostgreSQL", e, stored.get(id)));

        pipeline.writer.sealReady();
        for (long batch : unwrittenBatches()) {
            pipeline.writer.job().run(new UsageWriteRequestV1(batch));
        }
        Map<UUID, Map<String, String>> inClickHouse = writtenToClickHouse(good.keySet());
        written.addAndGet(inClickHouse.size());
        assertThat(inClickHouse.keySet()).as("every good event is written").isEqualTo(good.keySet());
        good.forEach((id, e) -> assertSame("ClickHouse", e, inClickHouse.get(id)));
    }

    /** An event offered to record(), and whether its time lies outside the recorder's bounds. */
    record Offer(UsageEvent event, boolean outOfBounds) {
    }

    private static void assertValid(UsageEvent e) {
        assertThat(e.eventId()).isNotNull();
        assertThat(e.eventTime()).isNotNull().isEqualTo(e.eventTime().truncatedTo(ChronoUnit.MILLIS));
        for (String required : List.of(e.userId(), e.workspaceId(), e.model())) {
            assertThat(required).isNotBlank();
        }
        for (String text : List.of(e.userId(), e.workspaceId(), e.model(), e.messageId(), e.agentId(), e.agentDbId(),
                e.provider(), e.turnId(), e.sessionId(), e.serviceTier())) {
            assertThat(text.length()).isLessThanOrEqualTo(UsageEvent.MAX_ID_LENGTH);
            assertThat(text).doesNotContain("\0");
        }
        for (long t : new long[] {e.promptTokens(), e.completionTokens(), e.toolUsePromptTokens(), e.thoughtsTokens(),
                e.cachedTokens(), e.cacheCreationTokens(), e.cacheCreation1hTokens(), e.audioPromptTokens(),
                e.audioCompletionTokens()}) {
            assertThat(t).isBetween(0L, UsageEvent.MAX_TOKENS);
        }
        assertThat(e.totalTokens()).isEqualTo(e.promptTokens() + e.completionTokens() + e.toolUsePromptTokens());
        assertThat(e.cachedTokens() + e.cacheCreationTokens() + e.cacheCreation1hTokens() + e.audioPromptTokens())
                .isLessThanOrEqualTo(e.promptTokens());
        assertThat(e.thoughtsTokens() + e.audioCompletionTokens()).isLessThanOrEqualTo(e.completionTokens());
        assertThat(e.callSequence()).isNotNegative();
        assertThat(e.serviceTier()).as("recorded as sent, blank as standard").isNotEmpty();
    }

    private static void assertSame(String where, UsageEvent e, Map<String, String> row) {
        Map<String, String> expected = new HashMap<>();
        expected.put("user_id", e.userId());
        expected.put("workspace_id", e.workspaceId());
        expected.put("message_id", e.messageId());
        expected.put("agent_id", e.agentId());
        expected.put("agent_db_id", e.agentDbId());
        expected.put("model", e.model());
        expected.put("provider", e.provider());
        expected.put("turn_id", e.turnId());
        expected.put("session_id", e.sessionId());
        expected.put("service_tier", e.serviceTier());
        expected.put("prompt_tokens", Long.toString(e.promptTokens()));
        expected.put("completion_tokens", Long.toString(e.completionTokens()));
        expected.put("total_tokens", Long.toString(e.totalTokens()));
        expected.put("event_ms", Long.toString(e.eventTime().toEpochMilli()));
        Map<String, String> actual = new HashMap<>(row);
        actual.keySet().retainAll(expected.keySet());
        if (!actual.equals(expected)) {
            mismatches.incrementAndGet();
            StringBuilder diff = new StringBuilder();
            expected.forEach((k, v) -> {
                if (!v.equals(actual.get(k))) {
                    diff.append("\n  ").append(k).append(": given ").append(codePoints(v)).append(", stored ")
                            .append(codePoints(actual.get(k)));
                }
            });
            throw new AssertionError("event " + e.eventId() + " is stored in " + where + " differently from what"
                    + " was given:" + diff);
        }
    }

    /** A string as code points, so invisible and unpaired characters show. */
    static String codePoints(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("[");
        s.chars().forEach(c -> out.append(out.length() > 1 ? " " : "").append(String.format("%04X", c)));
        return out.append("] (").append(s.length()).append(" chars)").toString();
    }

    private static final List<String> TEXT_COLUMNS = List.of("user_id", "workspace_id", "message_id", "agent_id",
            "agent_db_id", "model", "provider", "turn_id", "session_id", "service_tier", "prompt_tokens",
            "completion_tokens", "total_tokens");

    private static Map<UUID, Map<String, String>> storedInPostgres(Set<UUID> ids) throws SQLException {
        Map<UUID, Map<String, String>> out = new HashMap<>();
        if (ids.isEmpty()) {
            return out;
        }
        StringBuilder in = new StringBuilder();
        for (UUID id : ids) {
            in.append(in.isEmpty() ? "" : ",").append('\'').append(id).append('\'');
        }
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT event_id, " + String.join(", ", TEXT_COLUMNS)
                     + ", (extract(epoch FROM event_time) * 1000)::bigint AS event_ms FROM usage_event"
                     + " WHERE event_id IN (" + in + ")")) {
            while (rs.next()) {
                Map<String, String> row = new HashMap<>();
                for (String col : TEXT_COLUMNS) {
                    row.put(col, rs.getString(col));
                }
                row.put("event_ms", rs.getString("event_ms"));
                out.put(rs.getObject("event_id", UUID.class), row);
            }
        }
        return out;
    }

    private static Map<UUID, Map<String, String>> writtenToClickHouse(Set<UUID> ids) {
        Map<UUID, Map<String, String>> out = new HashMap<>();
        if (ids.isEmpty()) {
            return out;
        }
        StringBuilder in = new StringBuilder();
        for (UUID id : ids) {
            in.append(in.isEmpty() ? "" : ",").append('\'').append(id).append('\'');
        }
        for (Row r : clickHouse.query("SELECT toString(event_id) AS id, " + String.join(", ", TEXT_COLUMNS)
                + ", toUnixTimestamp64Milli(event_time) AS event_ms FROM llm_usage WHERE event_id IN (" + in + ")")) {
            Map<String, String> row = new HashMap<>(r.values());
            UUID id = UUID.fromString(row.remove("id"));
            if (out.put(id, row) != null) {
                throw new AssertionError("event " + id + " is in llm_usage twice");
            }
        }
        return out;
    }

    private static List<Long> unwrittenBatches() throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (Connection c = postgres.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT batch_id FROM usage_batch WHERE written_at IS NULL ORDER BY 1")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    // ---- generators ----

    /** The constructor's arguments, valid, then up to four replaced by wild values of their type. */
    @Provide
    Arbitrary<Object[]> eventArguments() {
        Arbitrary<Object[]> valid = Combinators.combine(Arbitraries.longs().between(0, 1_000_000),
                        Arbitraries.longs().between(0, 100_000), Arbitraries.integers().between(0, 100),
                        Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(12))
                .as((prompt, completion, share, text) -> {
                    long cached = prompt * share / 100;
                    long thoughts = completion * share / 200;
                    return new Object[] {UUID.randomUUID(), Instant.now(), "user-" + text, "ws-" + text, null,
                            text, "agent", "", "gpt-4o", "openai", prompt, completion, prompt + completion, 0L,
                            thoughts, cached, 0L, 0L, 0L, 0L, share, "", "", "standard"};
                });
        Arbitrary<int[]> positions = Arbitraries.integers().between(0, 23).array(int[].class).ofMaxSize(4);
        return Combinators.combine(valid, positions, Arbitraries.longs(), Arbitraries.integers())
                .flatAs((args, at, aLong, anInt) -> {
                    if (at.length == 0) {
                        return Arbitraries.just(args);
                    }
                    List<Arbitrary<Object>> wild = new ArrayList<>();
                    for (int i : at) {
                        wild.add(wildValue(i));
                    }
                    return Combinators.combine(wild).as(values -> {
                        Object[] out = args.clone();
                        for (int k = 0; k < at.length; k++) {
                            out[at[k]] = values.get(k);
                        }
                        return out;
                    });
                });
    }

    /** Any value of the type of argument {@code i} of UsageEvent's constructor. */
    private Arbitrary<Object> wildValue(int i) {
        return switch (i) {
            case 0, 4 -> maybeIds().map(v -> v);
            case 1 -> instants().map(v -> v);
            case 10, 11, 12, 13, 14, 15, 16, 17, 18, 19 -> tokenCounts().map(v -> v);
            case 20 -> Arbitraries.oneOf(Arbitraries.of(0, -1, Integer.MIN_VALUE, Integer.MAX_VALUE),
                    Arbitraries.integers()).map(v -> v);
            case 23 -> tiers().map(v -> v);
            default -> texts().map(v -> v);
        };
    }

    @Provide
    Arbitrary<UUID> maybeIds() {
        return Arbitraries.create(UUID::randomUUID).injectNull(0.1);
    }

    @Provide
    Arbitrary<Instant> instants() {
        Instant now = Instant.now();
        return Arbitraries.oneOf(
                Arbitraries.of(Instant.MIN, Instant.MAX, Instant.EPOCH, now),
                Arbitraries.longs().between(Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond())
                        .flatMap(s -> Arbitraries.integers().between(0, 999_999_999).map(n -> Instant.ofEpochSecond(s, n))),
                Arbitraries.longs().between(-400L * 86_400_000, 600_000).map(now::plusMillis)).injectNull(0.05);
    }

    @Provide
    Arbitrary<String> texts() {
        return Arbitraries.oneOf(
                Arbitraries.of("", " ", "\t\n", "gpt-4o", "standard", "u-1", "\0", "a\0b"),
                Arbitraries.strings().all().ofMaxLength(40),
                Arbitraries.strings().all().ofMinLength(250).ofMaxLength(300),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(20)).injectNull(0.1);
    }

    @Provide
    Arbitrary<Long> tokenCounts() {
        return Arbitraries.oneOf(
                Arbitraries.of(0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE, UsageEvent.MAX_TOKENS,
                        UsageEvent.MAX_TOKENS + 1, 3 * UsageEvent.MAX_TOKENS, 3 * UsageEvent.MAX_TOKENS + 1),
                Arbitraries.longs(),
                Arbitraries.longs().between(0, 10_000));
    }

    @Provide
    Arbitrary<String> tiers() {
        return Arbitraries.oneOf(Arbitraries.of("standard", "batch", "priority", "flex", "", "Standard", "gold"),
                texts());
    }

    /** Valid events with any valid text, events outside the recorder's time bounds, and repeated ids. */
    @Provide
    Arbitrary<List<Offer>> mixedLists() {
        // Any Unicode text the API accepts: every code point but NUL and the surrogate range, up to 256 chars.
        Arbitrary<String> anyText = Arbitraries.integers().between(1, Character.MAX_CODE_POINT)
                .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE)
                .list().ofMinSize(1).ofMaxSize(UsageEvent.MAX_ID_LENGTH / 2)
                .map(cps -> new String(cps.stream().mapToInt(Integer::intValue).toArray(), 0, cps.size()))
                .filter(t -> !t.isBlank());
        Arbitrary<UsageEvent> good = Combinators.combine(anyText, anyText, anyText, anyText,
                        Arbitraries.longs().between(0, 100_000), Arbitraries.longs().between(0, 10_000),
                        Arbitraries.longs().between(-3_600_000, 240_000))
                .as((user, workspace, model, message, prompt, completion, offsetMillis) -> UsageEvent.builder()
                        .eventId(UUID.randomUUID())
                        .eventTime(Instant.now().plusMillis(offsetMillis))
                        .userId(user).workspaceId(workspace).model(model).messageId(message)
                        .agentId(message).turnId(user).sessionId(workspace).provider(model)
                        .promptTokens(prompt).completionTokens(completion)
                        .build());
        Arbitrary<Offer> goodOffer = good.map(e -> new Offer(e, false));
        Arbitrary<Offer> tooLate = good.map(e -> new Offer(copyAt(e, Instant.now().plus(
                RecorderSettings.DEFAULTS.maxFutureSkew()).plusSeconds(60)), true));
        Arbitrary<Offer> tooEarly = good.map(e -> new Offer(copyAt(e, Instant.now().minus(Duration.ofDays(400))), true));
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(6, goodOffer), net.jqwik.api.Tuple.of(1, tooLate),
                        net.jqwik.api.Tuple.of(1, tooEarly))
                .list().ofMinSize(1).ofMaxSize(30)
                .map(BadInputFuzzTest::withRepeats);
    }

    private static List<Offer> withRepeats(List<Offer> offers) {
        List<Offer> out = new ArrayList<>(offers);
        if (offers.size() > 2 && !offers.getFirst().outOfBounds()) {
            out.add(offers.getFirst()); // the same event again in the same call: one row, reported DUPLICATE
        }
        return out;
    }

    private static UsageEvent copyAt(UsageEvent e, Instant t) {
        return new UsageEvent(e.eventId(), t, e.userId(), e.workspaceId(), e.conversationId(), e.messageId(),
                e.agentId(), e.agentDbId(), e.model(), e.provider(), e.promptTokens(), e.completionTokens(),
                e.totalTokens(), e.toolUsePromptTokens(), e.thoughtsTokens(), e.cachedTokens(), e.cacheCreationTokens(),
                e.cacheCreation1hTokens(), e.audioPromptTokens(), e.audioCompletionTokens(), e.callSequence(),
                e.turnId(), e.sessionId(), e.serviceTier());
    }
}
