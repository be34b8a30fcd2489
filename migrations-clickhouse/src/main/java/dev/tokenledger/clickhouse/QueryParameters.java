package dev.tokenledger.clickhouse;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ClickHouse reads a query parameter's value as one field of TabSeparated text (backslash escapes are
 * decoded, then the text is parsed as the placeholder's type). Callers pass plain values ("it's a \ b"),
 * so the value is TSV-escaped on the way in; otherwise a backslash or a tab in a value would fail or,
 * worse, bind a different value.
 */
final class QueryParameters {
    private QueryParameters() {
    }

    static Map<String, String> escaped(Map<String, String> params) {
        Map<String, String> out = new LinkedHashMap<>();
        params.forEach((name, value) -> out.put(Identifiers.requireName(name, "query parameter name"), escape(value)));
        return out;
    }

    static String escape(String value) {
        StringBuilder b = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\t' -> b.append("\\t");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\0' -> b.append("\\0");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
