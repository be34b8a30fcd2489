package dev.tokenledger.orchestrator.bench;

/** One benchmark scenario: measures its figures and their baselines in the same run. */
interface Scenario {
    /** The name used by {@code --scenario}. */
    String name();

    /** One line: what it measures. */
    String description();

    void run(BenchContext context, ScenarioResult result) throws Exception;
}
