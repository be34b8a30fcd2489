package dev.tokenledger.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * Scenario "bad-input", price side (reliability suite, RELIABILITY.md): property-based fuzzing of the
 * LiteLLM feed a {@code pricing_refresh} reads. Over a real book (the 2026-02-28 feed, 2,609 models), a
 * broken feed (empty, truncated anywhere, an HTML error page, not an object, garbage, half the models, too
 * few models, every price negative) is refused as a whole; malformed entries (a negative or non-numeric
 * price, a provider that is not a string, an entry that is not an object) are skipped by name. Either way
 * the book keeps every row exactly as it was, and refresh never throws.
 */
@Tag("chaos")
@Tag("chaos-bad-input")
class PriceFeedFuzzTest {
    private static final Instant NOW = Instant.parse("2026-03-01T03:17:00Z");
    private static final Path RESULTS = Path.of("target", "chaos-results.md");

    private static TestBook book;
    private static Path dir;
    private static byte[] base;
    private static List<String> models;
    private static String fingerprint;
    private static final AtomicLong brokenFeeds = new AtomicLong();
    private static final AtomicLong refused = new AtomicLong();
    private static final AtomicLong corruptedFeeds = new AtomicLong();
    private static final AtomicLong skipped = new AtomicLong();
    private static final Map<String, AtomicLong> kinds = new java.util.concurrent.ConcurrentSkipListMap<>();

    @BeforeContainer
    static void baseBook() throws IOException {
        book = TestBook.fresh("price_feed_fuzz", NOW);
        dir = Files.createTempDirectory("price-feed-fuzz");
        base = TestFeeds.bytes(TestFeeds.FEB);
        assertThat(book.pricing.refresh(TestFeeds.file(dir, "base.json", base)).outcome())
                .isEqualTo(RefreshOutcome.APPLIED);
        models = new ArrayList<>(TestFeeds.catalog(TestFeeds.FEB).entries().keySet());
        fingerprint = fingerprint();
    }

    @AfterContainer
    static void report() throws IOException {
        if (book == null) {
            return;
        }
        String row = "| bad input (price feeds) (" + System.getProperty("tokenledger.chaos", "quick") + ") | "
                + (brokenFeeds.get() + corruptedFeeds.get()) + " generated feeds over a 2,609-model book | "
                + "broken feeds " + kinds + "; feeds with 1–40 malformed entries | — | — | 0 | 0 | — | "
                + refused.get() + " of " + brokenFeeds.get() + " broken feeds refused (the rest changed nothing);"
                + " " + skipped.get() + " malformed entries skipped by name; the book kept every row each time |";
        System.out.println("[chaos] RESULT " + row);
        boolean fresh = !Files.exists(RESULTS);
        Files.createDirectories(RESULTS.getParent());
        Files.writeString(RESULTS, (fresh ? "| scenario | load | faults injected | events accepted | written | lost"
                + " | duplicated | time to recover | notes |\n|---|---|---|---|---|---|---|---|---|\n" : "") + row
                + " <!-- " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + " -->\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        book.close();
    }

    /** A feed that must not be applied, and what kind of broken it is. */
    record Broken(String kind, byte[] bytes) {
        @Override
        public String toString() {
            return kind + " (" + bytes.length + " bytes)";
        }
    }

    @Property // tries: jqwik.tries.default (10 quick, 200 under -Pchaos)
    void aBrokenFeedIsRefusedAsAWholeAndTheBookKeepsEveryRow(@ForAll("brokenFeeds") Broken feed) {
        brokenFeeds.incrementAndGet();
        kinds.computeIfAbsent(feed.kind(), k -> new AtomicLong()).incrementAndGet();
        int modelsBefore = book.pricing.modelCount();

        RefreshResult result = book.pricing.refresh(TestFeeds.file(dir, "broken.json", feed.bytes()));

        assertThat(result.outcome()).as("%s: %s", feed, result.reason()).isIn(RefreshOutcome.REFUSED,
                RefreshOutcome.UNCHANGED);
        if (result.outcome() == RefreshOutcome.REFUSED) {
            refused.incrementAndGet();
            assertThat(result.reason()).as("a refusal says why").isNotBlank();
        }
        assertThat(fingerprint()).as("the book after %s", feed).isEqualTo(fingerprint);
        assertThat(book.pricing.modelCount()).isEqualTo(modelsBefore);
    }

    /** One malformed entry: which model, and how it is broken. */
    record Corruption(String model, String how) {
    }

    @Property // tries: jqwik.tries.default (10 quick, 200 under -Pchaos)
    void malformedEntriesAreSkippedByNameAndTheirModelsKeepTheirPrices(
            @ForAll("corruptions") List<Corruption> corruptions) {
        corruptedFeeds.incrementAndGet();
        Map<String, Corruption> byModel = new LinkedHashMap<>();
        corruptions.forEach(c -> byModel.putIfAbsent(c.model(), c));
        ObjectNode root = (ObjectNode) Json.read(new String(base, StandardCharsets.UTF_8));
        byModel.values().forEach(c -> corrupt(root, c));
        Map<String, BigDecimal> pricesBefore = new LinkedHashMap<>();
        byModel.keySet().forEach(m -> pricesBefore.put(m, priceNow(m)));

        RefreshResult result = book.pricing.refresh(TestFeeds.file(dir, "corrupted.json",
                Json.write(root).getBytes(StandardCharsets.UTF_8)));

        skipped.addAndGet(result.skipped());
        assertThat(result.outcome()).as("%s", result.reason()).isIn(RefreshOutcome.UNCHANGED, RefreshOutcome.APPLIED,
                RefreshOutcome.REFUSED);
        if (result.outcome() != RefreshOutcome.REFUSED) {
            assertThat(result.skippedEntries()).extracting(SkippedEntry::modelKey)
                    .as("skipped by name").containsExactlyInAnyOrderElementsOf(byModel.keySet());
            assertThat(result.skippedEntries()).allSatisfy(s -> assertThat(s.reason()).isNotBlank());
        }
        assertThat(fingerprint()).as("the book after skipping %s", byModel.values()).isEqualTo(fingerprint);
        byModel.keySet().forEach(m -> assertThat(priceNow(m)).as("price of %s", m).isEqualTo(pricesBefore.get(m)));
    }

    // ---- generators ----

    @Provide
    Arbitrary<Broken> brokenFeeds() {
        int n = base.length;
        return Arbitraries.oneOf(
                Arbitraries.just(new Broken("empty", new byte[0])),
                Arbitraries.of("   \n", "null", "42", "\"prices\"", "[]", "[{\"gpt-4o\": {}}]", "{", "{\"a\": ")
                        .map(s -> new Broken("not an object of models", s.getBytes(StandardCharsets.UTF_8))),
                Arbitraries.integers().between(1, n - 3).map(at -> new Broken("truncated",
                        java.util.Arrays.copyOf(base, at))),
                Arbitraries.of(500, 502, 503, 404).map(code -> new Broken("HTML error page", ("<!DOCTYPE html>\n"
                        + "<html><head><title>" + code + " Service Unavailable</title></head><body><h1>" + code
                        + "</h1><p>upstream connect error</p></body></html>\n").getBytes(StandardCharsets.UTF_8))),
                Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(2_000)
                        .map(b -> new Broken("random bytes", b)),
                Arbitraries.strings().ofMinLength(1).ofMaxLength(20).map(junk -> new Broken("content after the end",
                        concat(base, ("\n" + junk.replace("\u0000", "x") + "x").getBytes(StandardCharsets.UTF_8)))),
                Arbitraries.doubles().between(0.25, 0.75).map(keep -> new Broken("a share of the models",
                        subset(m -> Math.floorMod(m.hashCode() * 31 + 7, 1000) < keep * 1000))),
                Arbitraries.integers().between(1, 300).map(k -> new Broken("too few models",
                        subset(m -> models.indexOf(m) < k))),
                Arbitraries.just(new Broken("every price negative", everyPriceNegative())));
    }

    @Provide
    Arbitrary<List<Corruption>> corruptions() {
        Arbitrary<String> model = Arbitraries.of(models);
        Arbitrary<String> how = Arbitraries.of("negative price", "price as a string", "price as a word",
                "price as a boolean", "price as strings in an array", "provider not a string", "entry not an object");
        return Combinators.combine(model, how).as(Corruption::new).list().ofMinSize(1).ofMaxSize(40);
    }

    private static void corrupt(ObjectNode root, Corruption c) {
        JsonNode entry = root.get(c.model());
        if (c.how().equals("entry not an object")) {
            root.put(c.model(), "deprecated");
            return;
        }
        ObjectNode e = (ObjectNode) entry;
        String price = costKey(e);
        switch (c.how()) {
            case "negative price" -> e.put(price, new BigDecimal("-0.000001"));
            case "price as a string" -> e.put(price, "0.000002");
            case "price as a word" -> e.put(price, "free");
            case "price as a boolean" -> e.put(price, true);
            case "price as strings in an array" -> e.putArray(price).add("0.1").add("x");
            case "provider not a string" -> e.put("litellm_provider", 42);
            default -> throw new IllegalArgumentException(c.how());
        }
    }

    /** The entry's first cost key, or a new one when it has none. */
    private static String costKey(ObjectNode e) {
        for (var it = e.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (CatalogParser.isCostKey(f)) {
                return f;
            }
        }
        return "input_cost_per_token";
    }

    private static byte[] subset(java.util.function.Predicate<String> keep) {
        return TestFeeds.edited(TestFeeds.FEB, root -> root.properties().removeIf(en -> models.contains(en.getKey())
                && !keep.test(en.getKey())));
    }

    private static byte[] everyPriceNegative() {
        return TestFeeds.edited(TestFeeds.FEB, root -> root.properties().forEach(en -> {
            if (en.getValue() instanceof ObjectNode e) {
                e.put(costKey(e), new BigDecimal("-1"));
            }
        }));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static BigDecimal priceNow(String model) {
        PricedCost cost = book.price(model, null, NOW.plus(Duration.ofDays(1)), TokenUsage.of(1_000_000, 1_000_000));
        return cost.total();
    }

    /** Every row of the book, every column, as one hash (the text of each row, in id order). */
    private static String fingerprint() {
        return book.sql.fetchValue("SELECT md5(string_agg(p::text, E'\\n' ORDER BY p.id)) || ' (' || count(*)"
                + " || ' rows, ' || count(p.gone_since) || ' gone)' FROM model_pricing p", String.class)
                + ", version " + book.version();
    }

}
