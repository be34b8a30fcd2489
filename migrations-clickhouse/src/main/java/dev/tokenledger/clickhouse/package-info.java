/**
 * tokenledger's ClickHouse side: the schema and the two ways to reach it.
 *
 * <ul>
 *   <li>{@link dev.tokenledger.clickhouse.ClickHouse}: the small interface the rest of tokenledger uses
 *       (execute, query to {@link dev.tokenledger.clickhouse.Row}s, insert one
 *       {@link dev.tokenledger.clickhouse.InsertBatch} exactly once).</li>
 *   <li>{@link dev.tokenledger.clickhouse.ServerClickHouse}: a ClickHouse server through the official
 *       client-v2; {@link dev.tokenledger.clickhouse.EmbeddedClickHouse}: chDB, the ClickHouse engine
 *       inside the JVM, through the FFM API, its library located or fetched by
 *       {@link dev.tokenledger.clickhouse.ChdbLibrary}.</li>
 *   <li>{@link dev.tokenledger.clickhouse.RowBinaryWriter}: encodes batches, identically for both;
 *       {@link dev.tokenledger.clickhouse.RowBinaryResult}: decodes large query results, identically for
 *       both.</li>
 *   <li>{@link dev.tokenledger.clickhouse.ClickHouseMigrations}: applies {@code db/clickhouse/V*.sql}.</li>
 * </ul>
 *
 * Both backends ask for {@code TabSeparatedWithNames} (or {@code RowBinaryWithNamesAndTypes}) and share one
 * parser per format, so a value reads the same whichever backend served it, and both send the same insert settings (see {@code ExactlyOnceSettings}).
 */
package dev.tokenledger.clickhouse;
