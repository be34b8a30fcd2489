package dev.tokenledger.orchestrator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.math.BigDecimal;
import java.text.NumberFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Terminal output: aligned tables, money with enough digits for sub-cent costs, JSON, CSV. */
final class Output {
    /** The HTTP API's JSON ({@link JsonConventions}), indented for a terminal. */
    static final ObjectMapper JSON = JsonConventions.mapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Output() {
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whole numbers with thousands separators. */
    static String count(long n) {
        return NumberFormat.getIntegerInstance(Locale.US).format(n);
    }

    /** USD exactly, as JSON and the corrections print it: scale 12 (never rounded), plain digits; null stays null. */
    static String exact(BigDecimal usd) {
        if (usd == null) {
            return null;
        }
        return (usd.scale() < 12 ? usd.setScale(12) : usd).toPlainString();
    }

    /** A change in USD, exactly, with its sign: {@code +0.000125000000}, {@code -1.500000000000}, {@code 0}. */
    static String delta(BigDecimal usd) {
        if (usd.signum() == 0) {
            return "0";
        }
        return (usd.signum() > 0 ? "+" : "") + exact(usd);
    }

    /** USD: cents for amounts of a dollar or more, up to 6 significant decimals below (a $0.000004 call is not $0.00). */
    static String money(BigDecimal usd) {
        if (usd == null) {
            return "unpriced";
        }
        BigDecimal abs = usd.abs();
        if (abs.signum() == 0) {
            return "$0.00";
        }
        if (abs.compareTo(BigDecimal.ONE) >= 0) {
            NumberFormat f = NumberFormat.getCurrencyInstance(Locale.US);
            f.setMinimumFractionDigits(2);
            f.setMaximumFractionDigits(2);
            return f.format(usd);
        }
        int scale = Math.max(2, abs.precision() - abs.scale() <= 0 ? -(abs.precision() - abs.scale()) + 4 : 4);
        return "$" + usd.setScale(Math.min(scale, 12), java.math.RoundingMode.HALF_EVEN).stripTrailingZeros()
                .toPlainString();
    }

    /**
     * A plain-text table: the first column left-aligned, a column of numbers (or of "12 (3)": a number and a part
     * of it) right-aligned.
     */
    static final class Table {
        private static final java.util.regex.Pattern NUMERIC =
                java.util.regex.Pattern.compile("[-+$0-9.,%]*[0-9][-+$0-9.,%]*( \\([0-9.,]+\\))?|unpriced|-");
        private final List<String> header;
        private final List<List<String>> rows = new ArrayList<>();

        Table(String... header) {
            this.header = List.of(header);
        }

        Table row(String... cells) {
            rows.add(List.of(cells));
            return this;
        }

        @Override
        public String toString() {
            int[] width = new int[header.size()];
            for (int i = 0; i < width.length; i++) {
                width[i] = header.get(i).length();
                for (List<String> r : rows) {
                    width[i] = Math.max(width[i], r.get(i).length());
                }
            }
            boolean[] right = new boolean[header.size()];
            for (int i = 1; i < right.length; i++) {
                right[i] = true;
                for (List<String> r : rows) {
                    right[i] &= NUMERIC.matcher(r.get(i)).matches();
                }
            }
            StringBuilder sb = new StringBuilder();
            append(sb, header, width, right);
            for (int i = 0; i < width.length; i++) {
                sb.append(i == 0 ? "" : "  ").append("-".repeat(width[i]));
            }
            sb.append('\n');
            rows.forEach(r -> append(sb, r, width, right));
            return sb.toString();
        }

        String csv() {
            StringBuilder sb = new StringBuilder(String.join(",", header)).append('\n');
            for (List<String> r : rows) {
                sb.append(String.join(",", r.stream().map(Table::csvCell).toList())).append('\n');
            }
            return sb.toString();
        }

        private static String csvCell(String s) {
            return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
        }

        private static void append(StringBuilder sb, List<String> cells, int[] width, boolean[] right) {
            for (int i = 0; i < cells.size(); i++) {
                String c = cells.get(i);
                if (i > 0) {
                    sb.append("  ");
                }
                String pad = " ".repeat(width[i] - c.length());
                sb.append(right[i] ? pad + c : i == cells.size() - 1 ? c : c + pad);
            }
            sb.append('\n');
        }
    }
}
