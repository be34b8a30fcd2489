package dev.tokenledger.usage;

/** An event with its cost, ready to become an llm_usage row. */
record PricedEvent(UsageEvent event, EventCost cost) {
}
