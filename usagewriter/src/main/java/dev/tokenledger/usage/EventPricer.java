package dev.tokenledger.usage;

/** Prices one event with the price that was valid at its event_time. Must be deterministic for a given book. */
@FunctionalInterface
public interface EventPricer {
    EventCost price(UsageEvent event);
}
