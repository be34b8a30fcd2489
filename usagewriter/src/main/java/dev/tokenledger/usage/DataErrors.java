package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouseException;
import java.util.Set;

/** ClickHouse error codes that mean "these rows are bad" (retrying cannot help), as opposed to an outage. */
final class DataErrors {
    private static final Set<Integer> CODES = Set.of(
            6,   // CANNOT_PARSE_TEXT
            27,  // CANNOT_PARSE_INPUT_ASSERTION_FAILED
            33,  // CANNOT_READ_ALL_DATA
            38,  // CANNOT_PARSE_DATE
            41,  // CANNOT_PARSE_DATETIME
            53,  // TYPE_MISMATCH
            69,  // ARGUMENT_OUT_OF_BOUND
            70,  // CANNOT_CONVERT_TYPE
            72,  // CANNOT_PARSE_NUMBER
            117, // INCORRECT_DATA
            321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
            407, // DECIMAL_OVERFLOW
            469  // VIOLATED_CONSTRAINT
    );

    private DataErrors() {
    }

    static boolean isDataError(ClickHouseException e) {
        return e.code().isPresent() && CODES.contains(e.code().getAsInt());
    }
}
