package dev.tokenledger.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecentEventsTest {
    private static Map<RecentEvents.Key, UsageEvent> rows(long tx, long fromSeq, List<UsageEvent> events) {
        Map<RecentEvents.Key, UsageEvent> m = new LinkedHashMap<>();
        for (int i = 0; i < events.size(); i++) {
            m.put(new RecentEvents.Key(tx, fromSeq + i), events.get(i));
        }
        return m;
    }

    @Test
    void aRangeIsHandedOutOnlyWhenEveryRowOfItIsThereInDrainOrder() {
        RecentEvents recent = new RecentEvents(1_000);
        recent.enable();
        List<UsageEvent> late = TestEvents.events(2);
        List<UsageEvent> early = TestEvents.events(3);
        recent.add(rows(20, 4, late));   // committed second, in a later transaction
        recent.add(rows(10, 1, early));

        assertThat(recent.range(0, 0, 20, 5, 5)).containsExactly(early.get(0), early.get(1), early.get(2),
                late.get(0), late.get(1));
        assertThat(recent.range(10, 1, 20, 4, 3)).containsExactly(early.get(1), early.get(2), late.get(0));
        assertThat(recent.range(0, 0, 20, 5, 6)).as("a row of the batch is missing").isNull();
        assertThat(recent.range(0, 0, 20, 5, 4)).as("more rows than the batch has: not this batch").isNull();
    }

    @Test
    void aWrittenBatchLeavesAndTheOldestGoFirstWhenFull() {
        RecentEvents recent = new RecentEvents(4);
        recent.enable();
        List<UsageEvent> events = TestEvents.events(6);
        recent.add(rows(10, 1, events.subList(0, 3)));
        recent.remove(0, 0, 10, 2);
        assertThat(recent.size()).isEqualTo(1);
        assertThat(recent.range(10, 2, 10, 3, 1)).containsExactly(events.get(2));

        recent.add(rows(11, 4, events.subList(3, 6)));
        recent.add(rows(12, 7, TestEvents.events(1)));
        assertThat(recent.size()).isEqualTo(4);
        assertThat(recent.range(10, 2, 10, 3, 1)).as("evicted, oldest first").isNull();
    }

    @Test
    void aRecorderWithoutAWriterKeepsNothing() {
        RecentEvents recent = new RecentEvents(1_000);
        recent.add(rows(10, 1, TestEvents.events(3)));
        assertThat(recent.size()).isZero();
        assertThat(recent.range(0, 0, 10, 3, 3)).isNull();
    }
}
