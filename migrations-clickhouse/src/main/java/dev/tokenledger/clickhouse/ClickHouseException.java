package dev.tokenledger.clickhouse;

import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A statement failed. When ClickHouse itself rejected it, {@link #code()} holds ClickHouse's error code
 * (for example 62 = SYNTAX_ERROR, 27 = CANNOT_PARSE_INPUT_ASSERTION_FAILED): the request reached the
 * engine and retrying the same thing will fail again. An empty code means the engine was never
 * reached or never answered (connection refused, timeout): an outage, worth retrying.
 */
public class ClickHouseException extends RuntimeException {
    private static final Pattern CODE = Pattern.compile("Code: (\\d+)");

    private final Integer code;

    public ClickHouseException(String message, Integer code, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** An error reported by the engine as text; its {@code Code: NNN} prefix, when present, becomes the code. */
    static ClickHouseException fromEngineMessage(String message) {
        return new ClickHouseException(message.strip(), parseCode(message), null);
    }

    static Integer parseCode(String message) {
        if (message == null) {
            return null;
        }
        Matcher m = CODE.matcher(message);
        return m.find() ? Integer.valueOf(m.group(1)) : null;
    }

    /** ClickHouse's error code, if the engine produced this error. */
    public OptionalInt code() {
        return code == null ? OptionalInt.empty() : OptionalInt.of(code);
    }

    /** True when the engine answered with an error (bad SQL or data), false for transport failures. */
    public boolean isRejectedByEngine() {
        return code != null;
    }
}
