package dev.tokenledger.pricing;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An immutable picture of the price book and the overrides, built once and then only read: resolving a
 * model name and picking the window valid at an event time allocate nothing (see {@link ModelIndex}).
 */
final class PriceSnapshot {
    static final int UNRESOLVED = -1;

    private final long version;
    private final ModelIndex index;
    private final Model[] models;
    private final Map<String, List<AliasRow>> aliases; // by lower-case alias

    private record Model(String key, String provider, long[] starts, Segment[] segments) {
    }

    private PriceSnapshot(long version, ModelIndex index, Model[] models, Map<String, List<AliasRow>> aliases) {
        this.version = version;
        this.index = index;
        this.models = models;
        this.aliases = aliases;
    }

    /** Every model of a feed, valid forever, without overrides: pricing against a file, not the book. */
    static PriceSnapshot of(Catalog catalog) {
        List<BookRow> rows = catalog.entries().values().stream()
                .map(e -> new BookRow(null, e.modelKey(), e.provider(), Long.MIN_VALUE, Long.MAX_VALUE, e.costs()))
                .toList();
        return build(-1, rows, List.of(), List.of());
    }

    long version() {
        return version;
    }

    int modelCount() {
        return models.length;
    }

    /**
     * Resolves a caller's model name without aliases (see {@link MatchKind} for the order). Returns
     * {@link #UNRESOLVED} or a code for {@link #key(int)}, {@link #matchKind(int)} and {@link #segment(int, long)}.
     */
    int resolve(String model, String provider) {
        return resolve(model, provider, Long.MIN_VALUE);
    }

    /**
     * Resolves a caller's model name for an event at {@code epochMillis}: the name itself (exact, case, provider
     * prefix), then an alias valid then, then its resource path and version suffix dropped (see
     * {@link MatchKind}). The first steps allocate nothing; the later ones run only for names the book does not
     * list.
     */
    int resolve(String model, String provider, long epochMillis) {
        int found = resolveName(model, provider);
        if (found != UNRESOLVED) {
            return found;
        }
        String target = aliasTarget(model, epochMillis);
        if (target != null) {
            found = resolveName(target, null);
            return found == UNRESOLVED ? UNRESOLVED : pack(found & 0xFFFFFF, MatchKind.ALIAS);
        }
        String name = model;
        String resource = ModelNames.withoutResourcePath(model);
        if (resource != null) {
            found = resolveName(resource, provider);
            if (found != UNRESOLVED) {
                return pack(found & 0xFFFFFF, MatchKind.RESOURCE_NAME_STRIPPED);
            }
            name = resource;
        }
        String base = ModelNames.withoutVersion(name);
        if (base != null) {
            found = resolveName(base, provider);
            if (found != UNRESOLVED) {
                return pack(found & 0xFFFFFF, MatchKind.VERSION_SUFFIX_STRIPPED);
            }
        }
        return UNRESOLVED;
    }

    /** The key an admin's alias valid at {@code epochMillis} gives {@code model}, or null. */
    String aliasTarget(String model, long epochMillis) {
        if (aliases.isEmpty() || model == null) {
            return null;
        }
        List<AliasRow> rows = aliases.get(model.strip().toLowerCase(Locale.ROOT));
        if (rows == null) {
            return null;
        }
        for (AliasRow a : rows) {
            if (a.validAt(epochMillis)) {
                return a.targetKey();
            }
        }
        return null;
    }

    /** The name itself: exact, ignoring case, its provider prefix dropped, or the caller's provider added. */
    private int resolveName(String model, String provider) {
        int length = model.length();
        int found = index.find(model, 0, length);
        if (found != ModelIndex.NOT_FOUND) {
            return pack(ModelIndex.slot(found),
                    ModelIndex.isExact(found) ? MatchKind.EXACT : MatchKind.CASE_INSENSITIVE);
        }
        int slash = model.indexOf('/');
        if (slash > 0 && slash < length - 1) {
            found = index.find(model, slash + 1, length);
            if (found != ModelIndex.NOT_FOUND
                    && providerFamily(models[ModelIndex.slot(found)].provider, model, slash)) {
                return pack(ModelIndex.slot(found), MatchKind.PROVIDER_PREFIX_STRIPPED);
            }
        }
        if (provider != null && !provider.isBlank()) {
            found = index.find(provider, 0, provider.length(), model);
            if (found != ModelIndex.NOT_FOUND) {
                return pack(ModelIndex.slot(found), MatchKind.PROVIDER_PREFIX_ADDED);
            }
        }
        return UNRESOLVED;
    }

    /** Whether {@code prefix[0, prefixLength)} names {@code rowProvider} or its family ({@code bedrock} → {@code bedrock_converse}). */
    private static boolean providerFamily(String rowProvider, String prefix, int prefixLength) {
        if (rowProvider == null || rowProvider.length() < prefixLength
                || !rowProvider.regionMatches(true, 0, prefix, 0, prefixLength)) {
            return false;
        }
        if (rowProvider.length() == prefixLength) {
            return true;
        }
        char next = rowProvider.charAt(prefixLength);
        return next == '_' || next == '-';
    }

    private static int pack(int slot, MatchKind kind) {
        return (kind.ordinal() << 24) | slot;
    }

    String key(int resolved) {
        return models[resolved & 0xFFFFFF].key;
    }

    MatchKind matchKind(int resolved) {
        return MatchKind.of(resolved >>> 24);
    }

    /** The window of the resolved model valid at {@code epochMillis}, or null when none is. */
    Segment segment(int resolved, long epochMillis) {
        Model m = models[resolved & 0xFFFFFF];
        long[] starts = m.starts;
        int lo = 0;
        int hi = starts.length - 1;
        int at = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (starts[mid] <= epochMillis) {
                at = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (at < 0) {
            return null;
        }
        Segment s = m.segments[at];
        return epochMillis < s.to() ? s : null;
    }

    /**
     * Builds the snapshot: for every model, the windows cut at every boundary of its book rows and
     * overrides, each with the book row and the override valid in it (the later-starting override when
     * two overlap), and the rates of the book costs with the override's keys replacing theirs.
     */
    static PriceSnapshot build(long version, Collection<BookRow> book, Collection<BookRow> overrides,
                               Collection<AliasRow> aliasRows) {
        Map<String, List<BookRow>> rowsByKey = new TreeMap<>();
        Map<String, List<BookRow>> overridesByKey = new HashMap<>();
        for (BookRow row : book) {
            rowsByKey.computeIfAbsent(row.modelKey(), k -> new ArrayList<>()).add(row);
        }
        for (BookRow row : overrides) {
            rowsByKey.computeIfAbsent(row.modelKey(), k -> new ArrayList<>());
            overridesByKey.computeIfAbsent(row.modelKey(), k -> new ArrayList<>()).add(row);
        }
        List<String> keys = new ArrayList<>();
        List<Model> models = new ArrayList<>();
        for (Map.Entry<String, List<BookRow>> e : rowsByKey.entrySet()) {
            Model model = model(e.getKey(), e.getValue(), overridesByKey.getOrDefault(e.getKey(), List.of()));
            if (model != null) {
                keys.add(model.key);
                models.add(model);
            }
        }
        Map<String, List<AliasRow>> aliases = new HashMap<>();
        for (AliasRow a : aliasRows) {
            aliases.computeIfAbsent(a.alias().strip().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(a);
        }
        return new PriceSnapshot(version, new ModelIndex(keys), models.toArray(Model[]::new), Map.copyOf(aliases));
    }

    private static Model model(String key, List<BookRow> rows, List<BookRow> overrides) {
        TreeSet<Long> points = new TreeSet<>();
        for (BookRow r : rows) {
            addWindow(points, r);
        }
        for (BookRow o : overrides) {
            addWindow(points, o);
        }
        List<Segment> segments = new ArrayList<>();
        Map<String, RateCard> cards = new HashMap<>();
        Long[] ordered = points.toArray(Long[]::new);
        for (int i = 0; i < ordered.length; i++) {
            long from = ordered[i];
            long to = i + 1 < ordered.length ? ordered[i + 1] : Long.MAX_VALUE;
            if (from == Long.MAX_VALUE) {
                break;
            }
            BookRow row = validAt(rows, from, false);
            BookRow override = validAt(overrides, from, true);
            if (row == null && override == null) {
                continue;
            }
            Segment last = segments.isEmpty() ? null : segments.getLast();
            Long rowId = row == null ? null : row.id();
            Long overrideId = override == null ? null : override.id();
            if (last != null && last.to() == from && java.util.Objects.equals(last.priceRowId(), rowId)
                    && java.util.Objects.equals(last.overrideId(), overrideId)) {
                segments.set(segments.size() - 1,
                        new Segment(last.from(), to, rowId, overrideId, last.provider(), last.card()));
                continue;
            }
            String provider = override != null && override.provider() != null ? override.provider()
                    : row != null ? row.provider() : null;
            RateCard card = cards.computeIfAbsent(rowId + "/" + overrideId, k -> {
                Map<String, BigDecimal> costs = new TreeMap<>();
                if (row != null) {
                    costs.putAll(row.costs());
                }
                if (override != null) {
                    costs.putAll(override.costs());
                }
                return RateCard.of(key, costs, provider);
            });
            segments.add(new Segment(from, to, rowId, overrideId, provider, card));
        }
        if (segments.isEmpty()) {
            return null;
        }
        long[] starts = new long[segments.size()];
        for (int i = 0; i < starts.length; i++) {
            starts[i] = segments.get(i).from();
        }
        return new Model(key, segments.getLast().provider(), starts, segments.toArray(Segment[]::new));
    }

    private static void addWindow(TreeSet<Long> points, BookRow r) {
        points.add(r.validFrom());
        if (r.validTo() != Long.MAX_VALUE) {
            points.add(r.validTo());
        }
    }

    /** The row valid at {@code t}; among several, the one starting last (overrides) or with the highest id. */
    private static BookRow validAt(List<BookRow> rows, long t, boolean latestStart) {
        BookRow best = null;
        for (BookRow r : rows) {
            if (r.validAt(t) && (best == null || (latestStart && r.validFrom() > best.validFrom())
                    || ((!latestStart || r.validFrom() == best.validFrom()) && compareIds(r, best) > 0))) {
                best = r;
            }
        }
        return best;
    }

    private static int compareIds(BookRow a, BookRow b) {
        long x = a.id() == null ? Long.MIN_VALUE : a.id();
        long y = b.id() == null ? Long.MIN_VALUE : b.id();
        return Long.compare(x, y);
    }
}
