package dev.tokenledger.pricing;

import static dev.tokenledger.postgres.schema.Tables.PRICING_VERSION;

import dev.tokenledger.postgres.PostgresDatabase;
import dev.tokenledger.postgres.TestPostgres;
import java.time.Duration;
import java.time.Instant;
import java.util.function.UnaryOperator;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * A fresh, migrated PostgreSQL database with a {@link Pricing} on it, a hand-moved clock, and no background
 * cache check (tests call {@link Pricing#reloadIfChanged()} themselves).
 */
final class TestBook implements AutoCloseable {
    final PostgresDatabase database;
    final DSLContext sql;
    final MutableClock clock;
    final Pricing pricing;

    private TestBook(PostgresDatabase database, MutableClock clock, PricingSettings settings) {
        this.database = database;
        this.sql = DSL.using(database.dataSource(), SQLDialect.POSTGRES);
        this.clock = clock;
        this.pricing = new Pricing(database.dataSource(), settings, clock);
    }

    static TestBook fresh(String name, Instant now) {
        return fresh(name, now, s -> s);
    }

    static TestBook fresh(String name, Instant now, UnaryOperator<PricingSettings> settings) {
        return new TestBook(TestPostgres.freshDatabase(name), new MutableClock(now),
                settings.apply(PricingSettings.defaults().withCacheCheckInterval(Duration.ZERO)));
    }

    /** Another process on the same database: its own Pricing and snapshot. */
    Pricing anotherProcess() {
        return new Pricing(database.dataSource(), pricing.settings(), clock);
    }

    long version() {
        return sql.select(PRICING_VERSION.VERSION).from(PRICING_VERSION).fetchOne().value1();
    }

    PricedCost price(String model, String provider, Instant at, TokenUsage usage) {
        return pricing.priceEvent(model, provider, at.toEpochMilli(), usage);
    }

    @Override
    public void close() {
        pricing.close();
        database.close();
    }
}
