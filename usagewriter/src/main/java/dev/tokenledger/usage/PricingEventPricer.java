package dev.tokenledger.usage;

import dev.tokenledger.pricing.BilledExtras;
import dev.tokenledger.pricing.CostComponents;
import dev.tokenledger.pricing.CostStatus;
import dev.tokenledger.pricing.PricedCost;
import dev.tokenledger.pricing.PricingFlag;
import dev.tokenledger.pricing.Pricing;
import dev.tokenledger.pricing.TokenUsage;
import java.util.stream.Collectors;

/** Prices events from the price book: the row valid at each event's time, overrides first. */
final class PricingEventPricer implements EventPricer {
    private final Pricing pricing;

    PricingEventPricer(Pricing pricing) {
        this.pricing = pricing;
    }

    @Override
    public EventCost price(UsageEvent e) {
        PricedCost cost = pricing.priceEvent(e.model(), e.provider(), e.eventTime().toEpochMilli(), usage(e));
        EventCost.Basis basis = new EventCost.Basis(cost.matchedBy() == null ? "" : cost.matchedBy().wireName(),
                cost.unpricedReason() == null ? "" : cost.unpricedReason().wireName(),
                cost.flags().stream().map(PricingFlag::wireName).sorted().collect(Collectors.joining(",")));
        if (!cost.isPriced()) {
            return EventCost.unpriced(basis);
        }
        CostComponents c = cost.components();
        return new EventCost(cost.status() == CostStatus.OVERRIDE ? EventCost.Status.OVERRIDE : EventCost.Status.PRICED,
                c.input(), c.cachedInput(), c.cacheCreation().add(c.cacheCreation1h()), c.output(), c.reasoning(),
                c.audioInput().add(c.audioOutput()), c.toolUsePrompt(),
                c.imageInput().add(c.imageOutput()).add(c.images()), c.webSearch(), c.seconds(), cost.total(),
                cost.modelKey(),
                cost.priceRowId() == null ? 0 : cost.priceRowId(), cost.overrideId() == null ? 0 : cost.overrideId(),
                basis);
    }

    /** The event's usage as pricing reads it. */
    static TokenUsage usage(UsageEvent e) {
        BilledExtras extras = BilledExtras.of(e.webSearchRequests(), e.inputImages(), e.outputImages(),
                e.inputAudioSeconds(), e.inputVideoSeconds(), e.outputAudioSeconds(), e.outputVideoSeconds(),
                e.inferenceGeo());
        return new TokenUsage(e.promptTokens(), e.completionTokens(), e.cachedTokens(), e.cacheCreationTokens(),
                e.cacheCreation1hTokens(), e.audioPromptTokens(), e.thoughtsTokens(), e.audioCompletionTokens(),
                e.toolUsePromptTokens(), e.tier(), e.imagePromptTokens(),
                e.imageCompletionTokens(), extras);
    }
}
