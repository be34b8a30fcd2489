package dev.tokenledger.orchestrator.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The end of a run: the table for people and the JSON document with every figure for machines. */
final class BenchReport {
    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private BenchReport() {
    }

    static String table(List<ScenarioResult> results) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"scenario", "figure", "value", "target", "met", "baseline", "vs baseline"});
        for (ScenarioResult r : results) {
            if (!r.status.equals("ok")) {
                String error = r.error == null ? "" : r.error.lines().findFirst().orElse("");
                rows.add(new String[] {r.scenario, r.status.toUpperCase() + ": "
                        + (error.length() > 100 ? error.substring(0, 100) + "…" : error), "", "", "", "", ""});
                continue;
            }
            for (Figure f : r.figures) {
                Boolean met = f.met();
                Double ratio = f.ratio();
                rows.add(new String[] {r.scenario, f.label(), f.formattedValue(), f.formattedTarget(),
                        met == null ? "" : met ? "yes" : "NO (" + shortfall(f) + ")",
                        f.baseline() == null ? "" : Figure.format(f.baseline(), f.unit()),
                        ratio == null ? "" : Figure.format(ratio, "x")});
            }
        }
        int[] width = new int[rows.getFirst().length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        String previous = null;
        for (int n = 0; n < rows.size(); n++) {
            String[] row = rows.get(n);
            if (n > 1 && !row[0].equals(previous)) {
                sb.append('\n');
            }
            for (int i = 0; i < row.length; i++) {
                String cell = n > 1 && i == 0 && row[0].equals(previous) ? "" : row[i];
                boolean right = i >= 2 && i != 4 && n > 0;
                String pad = " ".repeat(width[i] - cell.length());
                sb.append(i == 0 ? "" : "  ").append(right ? pad + cell : cell + (i == row.length - 1 ? "" : pad));
            }
            sb.append('\n');
            if (n == 0) {
                for (int i = 0; i < width.length; i++) {
                    sb.append(i == 0 ? "" : "  ").append("-".repeat(width[i]));
                }
                sb.append('\n');
            }
            previous = n == 0 ? null : row[0];
        }
        return sb.toString().replaceAll(" +\n", "\n");
    }

    private static String shortfall(Figure f) {
        double factor = f.target().shortfall(f.value());
        if (Double.isInfinite(factor)) {
            return "missed";
        }
        return String.format(java.util.Locale.US, "%.0f%% off", (factor - 1) * 100);
    }

    /** Baselines named once, below the table. */
    static List<String> baselines(List<ScenarioResult> results) {
        List<String> out = new ArrayList<>();
        for (ScenarioResult r : results) {
            r.figures.stream().filter(f -> f.baselineLabel() != null).map(f -> r.scenario + ": " + f.baselineLabel())
                    .distinct().forEach(s -> {
                        if (!out.contains(s)) {
                            out.add(s);
                        }
                    });
        }
        return out;
    }

    static String json(Map<String, Object> header, List<ScenarioResult> results) {
        Map<String, Object> doc = new LinkedHashMap<>(header);
        List<Map<String, Object>> scenarios = new ArrayList<>();
        int met = 0;
        int missed = 0;
        for (ScenarioResult r : results) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("name", r.scenario);
            s.put("status", r.status);
            if (r.error != null) {
                s.put("error", r.error);
            }
            s.put("seconds", Latencies.round(r.seconds));
            List<Map<String, Object>> figures = new ArrayList<>();
            for (Figure f : r.figures) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("key", f.key());
                m.put("label", f.label());
                m.put("value", Latencies.round(f.value()));
                m.put("unit", f.unit());
                m.put("better", f.better().name().toLowerCase(java.util.Locale.ROOT));
                if (f.target() != null) {
                    m.put("target", Map.of("op", f.target().op(), "bound", f.target().bound()));
                    m.put("met", f.met());
                    if (f.met()) {
                        met++;
                    } else {
                        missed++;
                    }
                }
                if (f.baseline() != null) {
                    m.put("baseline", Map.of("value", Latencies.round(f.baseline()), "what", f.baselineLabel()));
                    m.put("ratio_vs_baseline", f.ratio() == null ? null : Latencies.round(f.ratio()));
                }
                figures.add(m);
            }
            s.put("figures", figures);
            s.put("details", r.details);
            s.put("notes", r.notes);
            scenarios.add(s);
        }
        doc.put("targets", Map.of("met", met, "missed", missed));
        doc.put("scenarios", scenarios);
        try {
            return JSON.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
