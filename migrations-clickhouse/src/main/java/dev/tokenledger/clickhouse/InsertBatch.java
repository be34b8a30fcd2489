package dev.tokenledger.clickhouse;

import java.util.Map;
import java.util.Objects;

/**
 * One insert, ready to send: rows already encoded as {@code RowBinaryWithNamesAndTypes} (see
 * {@link RowBinaryWriter}), so both backends send identical bytes and a retry re-sends exactly the same
 * content under the same token.
 *
 * @param table              target table, unqualified (resolved in the instance's database)
 * @param rowBinary          rows in RowBinaryWithNamesAndTypes
 * @param rowCount           number of rows encoded, for logs and checks
 * @param deduplicationToken names the batch's immutable content; the same token is never reused for other rows
 * @param settings           extra insert settings; the exactly-once settings are always added by the backend
 */
public record InsertBatch(String table, byte[] rowBinary, int rowCount, String deduplicationToken,
                          Map<String, String> settings) {
    public InsertBatch {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(rowBinary, "rowBinary");
        if (deduplicationToken == null || deduplicationToken.isBlank()) {
            throw new IllegalArgumentException("deduplicationToken must be set: every insert carries one");
        }
        settings = Map.copyOf(settings);
    }

    public InsertBatch(String table, byte[] rowBinary, int rowCount, String deduplicationToken) {
        this(table, rowBinary, rowCount, deduplicationToken, Map.of());
    }
}
