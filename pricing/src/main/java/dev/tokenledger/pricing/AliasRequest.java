package dev.tokenledger.pricing;

import java.time.Instant;

/**
 * A new alias: calls recorded as {@code alias} are priced as {@code modelKey} from {@code validFrom} (null: now).
 * It closes the alias's open window at {@code validFrom}.
 *
 * @param note      why (a deployment name, a vendor id); required
 * @param createdBy who asked (the CLI puts {@code cli:<user>})
 */
public record AliasRequest(String alias, String modelKey, Instant validFrom, String note, String createdBy) {
    public AliasRequest {
        if (alias == null || alias.isBlank()) {
            throw new IllegalArgumentException("alias is required: the model name as calls record it");
        }
        if (modelKey == null || modelKey.isBlank()) {
            throw new IllegalArgumentException("model is required: the price book key the alias is priced as");
        }
        alias = alias.strip();
        modelKey = modelKey.strip();
        if (alias.equalsIgnoreCase(modelKey)) {
            throw new IllegalArgumentException("alias '" + alias + "' cannot be an alias of itself");
        }
        if (note == null || note.isBlank()) {
            throw new IllegalArgumentException("note is required: say why the name is an alias");
        }
        if (createdBy == null || createdBy.isBlank()) {
            throw new IllegalArgumentException("createdBy is required");
        }
    }
}
