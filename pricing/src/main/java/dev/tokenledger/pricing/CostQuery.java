package dev.tokenledger.pricing;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;

/**
 * A what-if price, for {@code pricing cost --model M --prompt-tokens N ... [--at TIME] [--feed FILE]}.
 *
 * @param provider the caller's provider, used to resolve the name; may be null
 * @param at       the event time to price at; null means now
 * @param feed     price against this LiteLLM file instead of the book (overrides do not apply; nothing
 *                 is written); null means the book
 */
public record CostQuery(String model, String provider, Instant at, TokenUsage usage, Path feed) {
    public CostQuery {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("model is required");
        }
        Objects.requireNonNull(usage, "usage");
    }
}
