package dev.tokenledger.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** What is particular to running ClickHouse inside the JVM. */
class EmbeddedClickHouseTest {
    @AutoClose
    private final ClickHouse clickHouse = TestClickHouse.embedded("EmbeddedClickHouseTest");

    private record Holder(String value) {
    }

    /** Hot enough to be JIT-compiled, where a null check is implicit: a SIGSEGV the JVM must own. */
    private static int lengthOf(Holder holder) {
        return holder.value().length();
    }

    private static int recurse(int depth) {
        return depth == Integer.MAX_VALUE ? depth : recurse(depth + 1) + 1;
    }

    @Test
    void afterChdbConnectsTheJvmStillTurnsANullDereferenceIntoANullPointerException() {
        assertThat(clickHouse.version()).startsWith("26.7"); // chdb_connect has run in this JVM
        Holder holder = new Holder("x");
        long sum = 0;
        for (int i = 0; i < 2_000_000; i++) {
            sum += lengthOf(holder);
        }
        assertThat(sum).isEqualTo(2_000_000);

        for (int i = 0; i < 1_000; i++) {
            assertThatThrownBy(() -> lengthOf(null)).isInstanceOf(NullPointerException.class);
        }
    }

    @Test
    void afterChdbConnectsAStackOverflowIsStillAnErrorJavaCanCatch() {
        assertThat(clickHouse.version()).isNotBlank();

        assertThatThrownBy(() -> recurse(0)).isInstanceOf(StackOverflowError.class);
    }

    @Test
    void instancesBoundToDifferentDatabasesShareTheEngineButNotTheirTables() {
        try (ClickHouse other = TestClickHouse.embedded("EmbeddedClickHouseTest other")) {
            clickHouse.execute("CREATE TABLE only_here (x UInt8) ENGINE = Memory");

            assertThat(other.database()).isNotEqualTo(clickHouse.database());
            assertThat(other.query("SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 'only_here'")
                    .getFirst().int64("n")).isZero();
            assertThat(clickHouse.query("SELECT count() AS n FROM only_here").getFirst().int64("n")).isZero();
        }
    }

    @Test
    void callsFromManyThreadsOnOneInstanceAreSerializedAndAllAnswered() throws Exception {
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            List<java.util.concurrent.Future<Long>> answers = new java.util.ArrayList<>();
            for (int i = 0; i < 200; i++) {
                long n = i;
                answers.add(pool.submit(() -> clickHouse.query("SELECT {n:UInt64} * 2 AS v", Map.of("n", Long.toString(n)))
                        .getFirst().int64("v")));
            }
            for (int i = 0; i < answers.size(); i++) {
                assertThat(answers.get(i).get()).isEqualTo(2L * i);
            }
        }
    }

    @Test
    void theEngineRefusesASecondDataDirectoryInTheSameProcess() {
        assertThatThrownBy(() -> EmbeddedClickHouse.open(Path.of("target", "another-chdb-dir"), "x"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("one data path per process");
    }

    @Test
    void asyncInsertIsOnByDefaultInThisChdbBuildWhichIsWhyEveryInsertPinsItOff() {
        assertThat(clickHouse.query("SELECT value FROM system.settings WHERE name = 'async_insert'").getFirst().string("value"))
                .isEqualTo("1");
    }
}
