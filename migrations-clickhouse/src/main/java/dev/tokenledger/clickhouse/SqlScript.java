package dev.tokenledger.clickhouse;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a migration file into statements: a statement ends with a line whose last character (ignoring
 * trailing blanks) is {@code ;}. Lines starting with {@code --} are comments and dropped. Deliberately
 * simple, so the rule is easy to follow when writing a file: no {@code ;} at the end of a line inside
 * a string literal.
 */
final class SqlScript {
    private SqlScript() {
    }

    static List<String> statements(String script) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : script.split("\r?\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("--")) {
                continue;
            }
            if (trimmed.endsWith(";")) {
                current.append(trimmed, 0, trimmed.length() - 1);
                addIfNotBlank(statements, current);
                current.setLength(0);
            } else {
                current.append(line).append('\n');
            }
        }
        addIfNotBlank(statements, current);
        return statements;
    }

    private static void addIfNotBlank(List<String> statements, StringBuilder statement) {
        String s = statement.toString().strip();
        if (!s.isEmpty()) {
            statements.add(s);
        }
    }
}
