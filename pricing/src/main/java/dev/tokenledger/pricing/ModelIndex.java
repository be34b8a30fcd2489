package dev.tokenledger.pricing;

import java.util.List;

/**
 * Model keys to slots, found without allocating: an open-addressing table keyed by a case-insensitive
 * hash computed over a range of a {@code String}'s chars, so resolving {@code openai/gpt-4o} to
 * {@code gpt-4o} hashes the chars after the slash in place instead of building the substring, and
 * {@code provider + "/" + model} is hashed as two ranges and a separator instead of being concatenated.
 *
 * <p>A probe prefers a key that matches exactly; failing that, it returns the first key (in the order the
 * index was built) that matches ignoring case. The result packs the slot and whether the match was exact:
 * see {@link #slot(int)} and {@link #isExact(int)}; {@link #NOT_FOUND} when nothing matches.
 */
final class ModelIndex {
    static final int NOT_FOUND = -1;
    private static final int CASE_INSENSITIVE_BIT = 1 << 30;

    private final String[] keys;
    private final int[] table;   // slot + 1; 0 = empty
    private final int[] hashes;  // case-insensitive hash of the key at each table position
    private final int mask;

    ModelIndex(List<String> keysInSlotOrder) {
        this.keys = keysInSlotOrder.toArray(String[]::new);
        int capacity = Integer.highestOneBit(Math.max(4, keys.length * 3)) << 1;
        this.table = new int[capacity];
        this.hashes = new int[capacity];
        this.mask = capacity - 1;
        for (int slot = 0; slot < keys.length; slot++) {
            String k = keys[slot];
            int h = finish(hashRange(FNV_OFFSET, k, 0, k.length()));
            int i = h & mask;
            while (table[i] != 0) {
                i = (i + 1) & mask;
            }
            table[i] = slot + 1;
            hashes[i] = h;
        }
    }

    int size() {
        return keys.length;
    }

    String key(int slot) {
        return keys[slot];
    }

    static int slot(int found) {
        return found & ~CASE_INSENSITIVE_BIT;
    }

    static boolean isExact(int found) {
        return (found & CASE_INSENSITIVE_BIT) == 0;
    }

    /** Finds {@code s[from, to)}. */
    int find(String s, int from, int to) {
        return find(s, from, to, null);
    }

    /**
     * Finds the key spelled by {@code s[from, to)}, followed, when {@code suffix} is not null, by
     * {@code '/'} and {@code suffix}: {@code find(provider, 0, provider.length(), model)} looks up
     * {@code provider/model} without building it.
     */
    int find(String s, int from, int to, String suffix) {
        int h = hashRange(FNV_OFFSET, s, from, to);
        int length = to - from;
        if (suffix != null) {
            h = step(h, '/');
            h = hashRange(h, suffix, 0, suffix.length());
            length += 1 + suffix.length();
        }
        h = finish(h);
        int caseInsensitive = NOT_FOUND;
        for (int i = h & mask; table[i] != 0; i = (i + 1) & mask) {
            if (hashes[i] != h) {
                continue;
            }
            int slot = table[i] - 1;
            String key = keys[slot];
            if (key.length() != length) {
                continue;
            }
            int cmp = compare(key, s, from, to, suffix);
            if (cmp == EXACT) {
                return slot;
            }
            if (cmp == IGNORING_CASE && caseInsensitive == NOT_FOUND) {
                caseInsensitive = slot | CASE_INSENSITIVE_BIT;
            }
        }
        return caseInsensitive;
    }

    private static final int DIFFERENT = 0;
    private static final int EXACT = 1;
    private static final int IGNORING_CASE = 2;

    private static int compare(String key, String s, int from, int to, String suffix) {
        boolean exact = true;
        int k = 0;
        for (int i = from; i < to; i++, k++) {
            char a = key.charAt(k);
            char b = s.charAt(i);
            if (a != b) {
                if (fold(a) != fold(b)) {
                    return DIFFERENT;
                }
                exact = false;
            }
        }
        if (suffix != null) {
            if (key.charAt(k++) != '/') {
                return DIFFERENT;
            }
            for (int i = 0; i < suffix.length(); i++, k++) {
                char a = key.charAt(k);
                char b = suffix.charAt(i);
                if (a != b) {
                    if (fold(a) != fold(b)) {
                        return DIFFERENT;
                    }
                    exact = false;
                }
            }
        }
        return exact ? EXACT : IGNORING_CASE;
    }

    private static final int FNV_OFFSET = 0x811C9DC5;

    private static int hashRange(int h, String s, int from, int to) {
        for (int i = from; i < to; i++) {
            h = step(h, s.charAt(i));
        }
        return h;
    }

    private static int step(int h, char c) {
        return (h ^ fold(c)) * 0x01000193;
    }

    private static int finish(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        return h;
    }

    /** Case folding for one char: ASCII fast path, {@link Character#toLowerCase(char)} otherwise. */
    static char fold(char c) {
        if (c < 128) {
            return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
        }
        return Character.toLowerCase(Character.toUpperCase(c));
    }
}
