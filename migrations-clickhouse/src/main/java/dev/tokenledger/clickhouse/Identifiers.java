package dev.tokenledger.clickhouse;

import java.util.regex.Pattern;

/** Database, table and setting names tokenledger splices into SQL: checked, then quoted. */
public final class Identifiers {
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private Identifiers() {
    }

    public static String requireName(String name, String what) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(what + " must match " + NAME + ", got " + name);
        }
        return name;
    }

    /** A checked name in backquotes, ready for SQL. */
    public static String quoted(String name, String what) {
        return "`" + requireName(name, what) + "`";
    }

    /** A ClickHouse string literal. */
    public static String stringLiteral(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
