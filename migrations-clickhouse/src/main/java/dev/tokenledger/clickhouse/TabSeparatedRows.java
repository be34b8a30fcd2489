package dev.tokenledger.clickhouse;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses ClickHouse's {@code TabSeparatedWithNames} output into {@link Row}s. Both backends ask for this
 * format so that every value arrives as ClickHouse's own exact text rendering (Decimal, UInt64 and
 * DateTime64 never pass through a double), and so both share this one parser.
 */
final class TabSeparatedRows {
    static final String FORMAT = "TabSeparatedWithNames";

    private TabSeparatedRows() {
    }

    static List<Row> parse(byte[] output) {
        String text = new String(output, StandardCharsets.UTF_8);
        if (text.isEmpty()) {
            return List.of();
        }
        // Raw tabs and newlines never occur inside a TSV value (they are escaped), so splitting is safe.
        // Every line, the last included, ends with '\n'; a line may be empty (one empty String value).
        if (text.endsWith("\n")) {
            text = text.substring(0, text.length() - 1);
        }
        List<String> lines = List.of(text.split("\n", -1));
        List<String> names = splitFields(lines.getFirst());
        List<Row> rows = new ArrayList<>(lines.size() - 1);
        for (int i = 1; i < lines.size(); i++) {
            List<String> fields = splitFields(lines.get(i));
            if (fields.size() != names.size()) {
                throw new IllegalStateException("TSV line " + (i + 1) + " has " + fields.size()
                        + " fields, the header names " + names.size());
            }
            Map<String, String> values = new LinkedHashMap<>();
            for (int c = 0; c < names.size(); c++) {
                values.put(names.get(c), fields.get(c));
            }
            rows.add(new Row(values));
        }
        return rows;
    }

    /** Splits one line on tabs and unescapes each field; a field that is exactly {@code \N} is NULL. */
    private static List<String> splitFields(String line) {
        List<String> fields = new ArrayList<>();
        int start = 0;
        while (true) {
            int tab = line.indexOf('\t', start);
            String raw = tab < 0 ? line.substring(start) : line.substring(start, tab);
            fields.add(raw.equals("\\N") ? null : unescape(raw));
            if (tab < 0) {
                return fields;
            }
            start = tab + 1;
        }
    }

    static String unescape(String raw) {
        if (raw.indexOf('\\') < 0) {
            return raw;
        }
        StringBuilder out = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char ch = raw.charAt(i);
            if (ch != '\\' || i + 1 == raw.length()) {
                out.append(ch);
                continue;
            }
            char next = raw.charAt(++i);
            out.append(switch (next) {
                case 'b' -> '\b';
                case 'f' -> '\f';
                case 'r' -> '\r';
                case 'n' -> '\n';
                case 't' -> '\t';
                case '0' -> '\0';
                case 'a' -> '\u0007';
                case 'v' -> '\u000B';
                default -> next; // \\ \' \" and anything else stand for the character itself
            });
        }
        return out.toString();
    }
}
