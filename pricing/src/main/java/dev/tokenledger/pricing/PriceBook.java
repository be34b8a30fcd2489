package dev.tokenledger.pricing;

import static dev.tokenledger.postgres.schema.Tables.MODEL_PRICING;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.jooq.DSLContext;
import org.jooq.DataType;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * The effective-dated price book ({@code model_pricing}). Nothing is ever deleted: applying a feed
 * <ul>
 *   <li>leaves a model whose entry is unchanged untouched;</li>
 *   <li>closes the current row of a model whose costs changed ({@code valid_to} = the refresh time) and
 *       opens a new row from that same instant, so every event keeps the price valid at its time;</li>
 *   <li>updates in place a model whose costs are the same but whose other keys changed;</li>
 *   <li>gives a model seen for the first time a row valid from {@code -infinity}: the first price known
 *       of a model also prices events recorded before tokenledger learned it (better than leaving them
 *       unpriced; an override can correct a model whose early price differed);</li>
 *   <li>keeps the row of a model the feed no longer lists valid and sets {@code gone_since}; a model that
 *       reappears gets {@code gone_since} cleared (and a new row if its price changed).</li>
 * </ul>
 * The caller runs {@link #plan} and {@link #apply} in one transaction; {@link #lock} serializes
 * refreshes across processes.
 */
final class PriceBook {
    private static final long REFRESH_LOCK = 0x7072696369_6EL; // "pricin": one lock id for every refresh

    private PriceBook() {
    }

    static void lock(DSLContext tx) {
        tx.select(DSL.field("pg_advisory_xact_lock({0})", Object.class, DSL.val(REFRESH_LOCK))).fetch();
    }

    static boolean isEmpty(DSLContext db) {
        return !db.fetchExists(MODEL_PRICING);
    }

    /**
     * The models whose rows {@code refreshId} opened, split into models new to the book (true: their row is valid
     * from -infinity) and models whose price changed (false: a window opened at the refresh).
     */
    static Map<Boolean, List<String>> openedBy(DSLContext db, long refreshId) {
        Map<Boolean, List<String>> out = new HashMap<>();
        out.put(true, new ArrayList<>());
        out.put(false, new ArrayList<>());
        db.select(MODEL_PRICING.MODEL_KEY, Times.finiteOrNull(MODEL_PRICING.VALID_FROM))
                .from(MODEL_PRICING).where(MODEL_PRICING.OPENED_BY_REFRESH.eq(refreshId))
                .orderBy(MODEL_PRICING.MODEL_KEY)
                .forEach(r -> out.get(r.value2() == null).add(r.value1()));
        return out;
    }

    private record Current(long id, String modelKey, String contentHash, long validFrom, boolean gone) {
    }

    /**
     * What applying a catalog would do. {@code unreadable}: current rows of models the feed lists with a
     * malformed entry; they are left exactly as they are (the feed still lists the model, its new price just
     * cannot be read), but the shrink guard counts them with the removed ones.
     */
    record Plan(List<CatalogEntry> added, List<Long> reappeared, List<Change> changed, List<Change> updated,
                List<Long> removed, List<Long> unreadable, int presentInBook) {
        boolean isNoOp() {
            return added.isEmpty() && reappeared.isEmpty() && changed.isEmpty() && updated.isEmpty()
                    && removed.isEmpty();
        }
    }

    record Change(long currentId, long currentValidFrom, CatalogEntry entry) {
    }

    static Plan plan(DSLContext tx, Catalog catalog) {
        Map<String, Current> current = new HashMap<>();
        tx.select(MODEL_PRICING.ID, MODEL_PRICING.MODEL_KEY, MODEL_PRICING.CONTENT_HASH,
                        Times.millis(MODEL_PRICING.VALID_FROM), MODEL_PRICING.GONE_SINCE)
                .from(MODEL_PRICING)
                .where(MODEL_PRICING.VALID_TO.isNull())
                .forEach(r -> current.put(r.value2(),
                        new Current(r.value1(), r.value2(), r.value3(), r.value4(), r.value5() != null)));
        List<CatalogEntry> added = new ArrayList<>();
        List<Long> reappeared = new ArrayList<>();
        List<CatalogEntry> differing = new ArrayList<>();
        for (CatalogEntry entry : catalog.entries().values()) {
            Current c = current.get(entry.modelKey());
            if (c == null) {
                added.add(entry);
            } else if (!c.contentHash.equals(entry.contentHash())) {
                differing.add(entry);
            } else if (c.gone) {
                reappeared.add(c.id);
            }
        }
        Map<Long, String> currentCostsHash = costsHashes(tx,
                differing.stream().map(e -> current.get(e.modelKey()).id).toList());
        List<Change> changed = new ArrayList<>();
        List<Change> updated = new ArrayList<>();
        for (CatalogEntry entry : differing) {
            Current c = current.get(entry.modelKey());
            Change change = new Change(c.id, c.validFrom, entry);
            if (entry.costsHash().equals(currentCostsHash.get(c.id))) {
                updated.add(change);
                if (c.gone) {
                    reappeared.add(c.id);
                }
            } else {
                changed.add(change);
            }
        }
        java.util.Set<String> skipped = new java.util.HashSet<>();
        catalog.skipped().forEach(e -> skipped.add(e.modelKey()));
        List<Long> removed = new ArrayList<>();
        List<Long> unreadable = new ArrayList<>();
        int present = 0;
        for (Current c : current.values()) {
            if (!c.gone) {
                present++;
                if (!catalog.entries().containsKey(c.modelKey)) {
                    (skipped.contains(c.modelKey) ? unreadable : removed).add(c.id);
                }
            }
        }
        return new Plan(added, reappeared, changed, updated, removed, unreadable, present);
    }

    private static Map<Long, String> costsHashes(DSLContext tx, List<Long> ids) {
        Map<Long, String> hashes = new HashMap<>();
        if (!ids.isEmpty()) {
            tx.select(MODEL_PRICING.ID, MODEL_PRICING.COSTS).from(MODEL_PRICING).where(MODEL_PRICING.ID.in(ids))
                    .forEach(r -> hashes.put(r.value1(), Json.costsHash(Json.readCosts(r.value2().data()))));
        }
        return hashes;
    }

    /**
     * Applies a plan made in this same transaction. {@code now} must be after every changed row's start.
     * Unreadable models are not touched.
     */
    static void apply(DSLContext tx, Plan plan, long now, long refreshId) {
        OffsetDateTime at = Times.toOffset(now);
        for (Change c : plan.changed) {
            if (c.currentValidFrom >= now) {
                throw new IllegalStateException("cannot change the price of '" + c.entry.modelKey()
                        + "' at " + Instant.ofEpochMilli(now) + ": its current price is valid from "
                        + Instant.ofEpochMilli(c.currentValidFrom) + " (did the clock go back?)");
            }
        }
        if (!plan.changed.isEmpty()) {
            tx.update(MODEL_PRICING).set(MODEL_PRICING.VALID_TO, at)
                    .where(MODEL_PRICING.ID.in(plan.changed.stream().map(Change::currentId).toList()))
                    .execute();
        }
        insert(tx, plan.added, Times.MINUS_INFINITY, refreshId);
        insert(tx, plan.changed.stream().map(Change::entry).toList(), DSL.val(at), refreshId);
        if (!plan.updated.isEmpty()) {
            tx.batch(plan.updated.stream().map(u -> tx.update(MODEL_PRICING)
                    .set(MODEL_PRICING.PROVIDER, u.entry.provider())
                    .set(MODEL_PRICING.MODE, u.entry.mode())
                    .set(MODEL_PRICING.ATTRIBUTES, JSONB.valueOf(Json.attributesJson(u.entry.attributes())))
                    .set(MODEL_PRICING.CONTENT_HASH, u.entry.contentHash())
                    .where(MODEL_PRICING.ID.eq(u.currentId))).toList()).execute();
        }
        if (!plan.reappeared.isEmpty()) {
            tx.update(MODEL_PRICING).setNull(MODEL_PRICING.GONE_SINCE)
                    .where(MODEL_PRICING.ID.in(plan.reappeared)).execute();
        }
        if (!plan.removed.isEmpty()) {
            tx.update(MODEL_PRICING).set(MODEL_PRICING.GONE_SINCE, at)
                    .where(MODEL_PRICING.ID.in(plan.removed)).execute();
        }
    }

    /**
     * Inserts the entries' rows in one statement: one array per column, unnested by PostgreSQL. Rendering and
     * parsing a multi-row VALUES of 3,000 models (13 values each) cost three times as much as the insert itself
     * (BENCHMARKS.md, pricing).
     */
    private static void insert(DSLContext tx, List<CatalogEntry> entries, Field<OffsetDateTime> validFrom,
                               long refreshId) {
        if (entries.isEmpty()) {
            return;
        }
        int n = entries.size();
        String[] keys = new String[n];
        String[] providers = new String[n];
        String[] modes = new String[n];
        BigDecimal[] input = new BigDecimal[n];
        BigDecimal[] output = new BigDecimal[n];
        BigDecimal[] cacheRead = new BigDecimal[n];
        BigDecimal[] cacheCreation = new BigDecimal[n];
        String[] costs = new String[n];
        String[] attributes = new String[n];
        String[] hashes = new String[n];
        for (int i = 0; i < n; i++) {
            CatalogEntry e = entries.get(i);
            SortedMap<String, BigDecimal> c = e.costs();
            keys[i] = e.modelKey();
            providers[i] = e.provider();
            modes[i] = e.mode();
            input[i] = c.get("input_cost_per_token");
            output[i] = c.get("output_cost_per_token");
            cacheRead[i] = c.get("cache_read_input_token_cost");
            cacheCreation[i] = c.get("cache_creation_input_token_cost");
            costs[i] = Json.costsJson(c);
            attributes[i] = Json.attributesJson(e.attributes());
            hashes[i] = e.contentHash();
        }
        Table<?> rows = DSL.table("unnest({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9})"
                        + " AS u(model_key, provider, mode, input, output, cache_read, cache_creation, costs, attributes,"
                        + " content_hash)",
                texts(keys), texts(providers), texts(modes), numerics(input), numerics(output), numerics(cacheRead),
                numerics(cacheCreation), texts(costs), texts(attributes), texts(hashes));
        tx.insertInto(MODEL_PRICING, MODEL_PRICING.MODEL_KEY, MODEL_PRICING.PROVIDER, MODEL_PRICING.MODE,
                        MODEL_PRICING.VALID_FROM, MODEL_PRICING.INPUT_COST_PER_TOKEN,
                        MODEL_PRICING.OUTPUT_COST_PER_TOKEN, MODEL_PRICING.CACHE_READ_INPUT_TOKEN_COST,
                        MODEL_PRICING.CACHE_CREATION_INPUT_TOKEN_COST, MODEL_PRICING.COSTS,
                        MODEL_PRICING.ATTRIBUTES, MODEL_PRICING.CONTENT_HASH, MODEL_PRICING.OPENED_BY_REFRESH)
                .select(DSL.select(column("model_key", SQLDataType.CLOB), column("provider", SQLDataType.CLOB),
                                column("mode", SQLDataType.CLOB), validFrom,
                                column("input", SQLDataType.NUMERIC), column("output", SQLDataType.NUMERIC),
                                column("cache_read", SQLDataType.NUMERIC), column("cache_creation", SQLDataType.NUMERIC),
                                DSL.field("u.costs::jsonb", SQLDataType.JSONB),
                                DSL.field("u.attributes::jsonb", SQLDataType.JSONB),
                                column("content_hash", SQLDataType.CLOB), DSL.val(refreshId))
                        .from(rows))
                .execute();
    }

    private static Field<String[]> texts(String[] values) {
        return DSL.val(values, SQLDataType.CLOB.array());
    }

    private static Field<BigDecimal[]> numerics(BigDecimal[] values) {
        return DSL.val(values, SQLDataType.NUMERIC.array());
    }

    private static <T> Field<T> column(String name, DataType<T> type) {
        return DSL.field(DSL.name("u", name), type);
    }

    /** Every row, for the in-memory snapshot. */
    static List<BookRow> all(DSLContext db) {
        List<BookRow> rows = new ArrayList<>();
        db.select(MODEL_PRICING.ID, MODEL_PRICING.MODEL_KEY, MODEL_PRICING.PROVIDER,
                        Times.millis(MODEL_PRICING.VALID_FROM), Times.endMillis(MODEL_PRICING.VALID_TO),
                        MODEL_PRICING.COSTS)
                .from(MODEL_PRICING)
                .forEach(r -> rows.add(new BookRow(r.value1(), r.value2(), r.value3(), r.value4(), r.value5(),
                        Json.readCosts(r.value6().data()))));
        return rows;
    }

    /** The rows of one model key, oldest first. */
    static List<PriceWindow> history(DSLContext db, String modelKey) {
        Field<OffsetDateTime> validFrom = Times.finiteOrNull(MODEL_PRICING.VALID_FROM).as("valid_from_finite");
        List<PriceWindow> windows = new ArrayList<>();
        for (Record r : db.select(MODEL_PRICING.ID, MODEL_PRICING.MODEL_KEY, MODEL_PRICING.PROVIDER,
                        MODEL_PRICING.MODE, validFrom, MODEL_PRICING.VALID_TO, MODEL_PRICING.COSTS,
                        MODEL_PRICING.CONTENT_HASH, MODEL_PRICING.GONE_SINCE, MODEL_PRICING.OPENED_BY_REFRESH)
                .from(MODEL_PRICING)
                .where(MODEL_PRICING.MODEL_KEY.eq(modelKey))
                .orderBy(MODEL_PRICING.VALID_FROM, MODEL_PRICING.ID)
                .fetch()) {
            windows.add(new PriceWindow(r.get(MODEL_PRICING.ID), r.get(MODEL_PRICING.MODEL_KEY),
                    r.get(MODEL_PRICING.PROVIDER), r.get(MODEL_PRICING.MODE), Times.toInstant(r.get(validFrom)),
                    Times.toInstant(r.get(MODEL_PRICING.VALID_TO)), Json.readCosts(r.get(MODEL_PRICING.COSTS).data()),
                    r.get(MODEL_PRICING.CONTENT_HASH), Times.toInstant(r.get(MODEL_PRICING.GONE_SINCE)),
                    r.get(MODEL_PRICING.OPENED_BY_REFRESH)));
        }
        return windows;
    }
}
