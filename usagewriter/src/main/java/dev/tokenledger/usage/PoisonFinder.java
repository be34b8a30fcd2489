package dev.tokenledger.usage;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.ClickHouseException;
import dev.tokenledger.clickhouse.InsertBatch;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Finds the rows ClickHouse rejects by bisecting them into llm_usage_probe, a table with llm_usage's
 * columns and constraints on the Null engine: it validates like the real table and keeps nothing, so
 * looking for the poison never writes a row.
 */
final class PoisonFinder {
    private final ClickHouse clickHouse;
    private final long batchId;
    private final Instant ingestedAt;

    PoisonFinder(ClickHouse clickHouse, long batchId, Instant ingestedAt) {
        this.clickHouse = clickHouse;
        this.batchId = batchId;
        this.ingestedAt = ingestedAt;
    }

    List<PricedEvent> find(List<PricedEvent> rows) {
        if (accepted(rows)) {
            return List.of();
        }
        if (rows.size() == 1) {
            return rows;
        }
        int mid = rows.size() / 2;
        List<PricedEvent> poison = new ArrayList<>(find(rows.subList(0, mid)));
        poison.addAll(find(rows.subList(mid, rows.size())));
        return poison;
    }

    private boolean accepted(List<PricedEvent> rows) {
        try {
            clickHouse.insert(new InsertBatch(BatchWriter.PROBE_TABLE, UsageRows.encode(rows, batchId, ingestedAt),
                    rows.size(), "tokenledger/probe/" + UUID.randomUUID()));
            return true;
        } catch (ClickHouseException e) {
            if (DataErrors.isDataError(e)) {
                return false;
            }
            throw e;
        }
    }
}
