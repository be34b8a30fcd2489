package dev.tokenledger.orchestrator.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What one scenario measured: its figures, details for the JSON file (series, percentiles, settings), and notes. */
final class ScenarioResult {
    final String scenario;
    final List<Figure> figures = new ArrayList<>();
    final Map<String, Object> details = new LinkedHashMap<>();
    final List<String> notes = new ArrayList<>();
    String status = "ok";
    String error;
    double seconds;

    ScenarioResult(String scenario) {
        this.scenario = scenario;
    }

    Figure add(Figure f) {
        figures.add(f);
        return f;
    }

    void detail(String key, Object value) {
        details.put(key, value);
    }

    void note(String text) {
        notes.add(text);
    }

    Figure figure(String key) {
        return figures.stream().filter(f -> f.key().equals(key)).findFirst().orElse(null);
    }
}
