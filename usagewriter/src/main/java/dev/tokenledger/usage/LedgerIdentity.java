package dev.tokenledger.usage;

import static dev.tokenledger.postgres.schema.Tables.LEDGER_INSTALLATION;

import dev.tokenledger.clickhouse.ClickHouse;
import dev.tokenledger.clickhouse.InsertBatch;
import dev.tokenledger.clickhouse.Row;
import dev.tokenledger.clickhouse.RowBinaryWriter;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * Makes sure this PostgreSQL and its ClickHouse belong to the same ledger before anything is written. The
 * PostgreSQL schema mints an installation id once (ledger_installation); the first writer claims ClickHouse with
 * it (tokenledger_installation). A PostgreSQL re-created from scratch, or pointed at another ledger's ClickHouse,
 * has another id: its batch ids start again from 1, and batches ClickHouse has seen would shadow its new ones.
 * It refuses to write and says why, until an admin decides ({@code ./tokenledger installation}).
 *
 * <p>A PostgreSQL restored from a backup keeps its id; its new batches reuse ids too, but every token also names
 * the batch's seal time (see BatchWriter#token), so they are new to ClickHouse all the same.
 *
 * <p>Safe to use from many threads.
 */
public final class LedgerIdentity {
    private static final String CLAIMS = """
            SELECT toString(installation_id) AS id, toString(min(claimed_at)) AS since
            FROM tokenledger_installation GROUP BY installation_id ORDER BY min(claimed_at), id""";

    private final DSLContext db;
    private final ClickHouse clickHouse;
    private final InstantSource clock;
    private volatile UUID verified;

    LedgerIdentity(DataSource dataSource, ClickHouse clickHouse, InstantSource clock) {
        this.db = DSL.using(dataSource, SQLDialect.POSTGRES);
        this.clickHouse = clickHouse;
        this.clock = clock;
    }

    /** Thrown when PostgreSQL and ClickHouse belong to different ledgers. */
    public static final class MismatchException extends IllegalStateException {
        MismatchException(String message) {
            super(message);
        }
    }

    /** This PostgreSQL's installation id. */
    public UUID postgresId() {
        return db.select(LEDGER_INSTALLATION.INSTALLATION_ID).from(LEDGER_INSTALLATION).fetchSingle().value1();
    }

    /** The ids that have claimed this ClickHouse database, oldest claim first. */
    public List<UUID> clickHouseIds() {
        List<UUID> ids = new ArrayList<>();
        for (Row r : clickHouse.query(CLAIMS)) {
            ids.add(UUID.fromString(r.string("id")));
        }
        return ids;
    }

    /**
     * Checks (once per process, then remembered) that ClickHouse belongs to this PostgreSQL, claiming it if no
     * ledger has yet. Throws {@link MismatchException} naming both ids when it belongs to another.
     */
    public UUID requireMatch() {
        UUID ok = verified;
        if (ok != null) {
            return ok;
        }
        UUID mine = postgresId();
        List<UUID> claims = clickHouseIds();
        if (claims.isEmpty()) {
            claim(mine, "first writer");
            claims = clickHouseIds();
        }
        if (!claims.getFirst().equals(mine)) {
            throw new MismatchException("this PostgreSQL belongs to ledger " + mine + " but ClickHouse database '"
                    + clickHouse.database() + "' holds the usage of ledger " + claims.getFirst() + ": writing would"
                    + " reuse batch ids that ClickHouse has already seen, so nothing is written. If PostgreSQL was"
                    + " re-created on purpose for this ClickHouse, run `./tokenledger installation adopt` to take"
                    + " ClickHouse's id; if it points at the wrong ClickHouse, fix TOKENLEDGER_CLICKHOUSE_URL /"
                    + " TOKENLEDGER_CLICKHOUSE_DATABASE. Accepted events stay durable in PostgreSQL meanwhile.");
        }
        verified = mine;
        return mine;
    }

    /**
     * Makes this PostgreSQL take the id that owns ClickHouse (after an admin re-created PostgreSQL for it). New
     * batches are safe: their tokens name their seal time as well as their id. Returns the id taken.
     */
    public UUID adoptClickHouse() {
        List<UUID> claims = clickHouseIds();
        if (claims.isEmpty()) {
            throw new IllegalStateException("ClickHouse database '" + clickHouse.database() + "' has not been claimed"
                    + " by any ledger: there is nothing to adopt (the first write claims it)");
        }
        UUID owner = claims.getFirst();
        db.update(LEDGER_INSTALLATION).set(LEDGER_INSTALLATION.INSTALLATION_ID, owner).execute();
        verified = null;
        return owner;
    }

    private void claim(UUID id, String by) {
        RowBinaryWriter w = new RowBinaryWriter(List.of(new RowBinaryWriter.Column("installation_id", "UUID"),
                new RowBinaryWriter.Column("claimed_at", "DateTime64(3, 'UTC')"),
                new RowBinaryWriter.Column("claimed_by", "String")), 128);
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        w.uuid(id).dateTime64Millis(now).string(by);
        // A repeated claim adds a row, not an id; two ledgers racing: the older claim wins (CLAIMS orders by it).
        clickHouse.insert(new InsertBatch("tokenledger_installation", w.toBytes(), 1, "tokenledger/installation/" + id));
    }
}
