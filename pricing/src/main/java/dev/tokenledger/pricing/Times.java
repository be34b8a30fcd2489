package dev.tokenledger.pricing;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Time as pricing stores it: epoch millis in memory ({@code Long.MIN_VALUE} is {@code -infinity},
 * {@code Long.MAX_VALUE} an open end) and {@code timestamptz} in PostgreSQL.
 */
final class Times {
    static final Field<OffsetDateTime> MINUS_INFINITY =
            DSL.field("'-infinity'::timestamptz", SQLDataType.TIMESTAMPWITHTIMEZONE(6));

    private Times() {
    }

    static OffsetDateTime toOffset(long epochMillis) {
        return OffsetDateTime.ofInstant(Instant.ofEpochMilli(epochMillis), ZoneOffset.UTC);
    }

    static OffsetDateTime toOffset(Instant instant) {
        return instant == null ? null : toOffset(instant.toEpochMilli());
    }

    static Instant toInstant(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }

    /** A timestamptz column as epoch millis, {@code -infinity} as {@code Long.MIN_VALUE}. */
    static Field<Long> millis(Field<OffsetDateTime> column) {
        return DSL.when(column.eq(MINUS_INFINITY), DSL.inline(Long.MIN_VALUE))
                .else_(DSL.field("floor(extract(epoch from {0}) * 1000)::bigint", SQLDataType.BIGINT, column));
    }

    /** A nullable end column as epoch millis, null (open) as {@code Long.MAX_VALUE}. */
    static Field<Long> endMillis(Field<OffsetDateTime> column) {
        return DSL.when(column.isNull(), DSL.inline(Long.MAX_VALUE))
                .else_(DSL.field("floor(extract(epoch from {0}) * 1000)::bigint", SQLDataType.BIGINT, column));
    }

    /** A column that may hold {@code -infinity}, as a value Java can hold: null for {@code -infinity}. */
    static Field<OffsetDateTime> finiteOrNull(Field<OffsetDateTime> column) {
        return DSL.when(column.eq(MINUS_INFINITY), DSL.inline((OffsetDateTime) null)).else_(column);
    }
}
