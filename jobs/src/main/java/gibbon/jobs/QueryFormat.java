package gibbon.jobs;

import gibbon.report.PlainTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/** How {@code gibbon sql} prints a result: an aligned text table, CSV with a header, or JSON lines. */
public enum QueryFormat {
    TABLE,
    CSV,
    JSON;

    /** Renders rows of a schema, ending with a newline. */
    public String render(StructType schema, List<Row> rows) {
        return switch (this) {
            case TABLE -> table(schema, rows);
            case CSV -> csv(schema, rows);
            case JSON -> json(schema, rows);
        };
    }

    private static String text(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof byte[] b) {
            return "<" + b.length + " bytes>";
        }
        // Tensors (adversarial_examples.tensor) would flood a terminal: print their size instead.
        if (v instanceof scala.collection.Seq<?> seq) {
            return seq.size() > 16 ? "<" + seq.size() + " values>" : seq.mkString("[", ", ", "]");
        }
        return v.toString();
    }

    private static String table(StructType schema, List<Row> rows) {
        List<List<String>> cells = new ArrayList<>();
        for (Row row : rows) {
            List<String> line = new ArrayList<>();
            for (int i = 0; i < schema.fields().length; i++) {
                line.add(row.isNullAt(i) ? null : text(row.get(i)));
            }
            cells.add(line);
        }
        return PlainTable.format(List.of(schema.fieldNames()), cells);
    }

    private static String csv(StructType schema, List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        String[] names = schema.fieldNames();
        for (int i = 0; i < names.length; i++) {
            sb.append(i > 0 ? "," : "").append(csvCell(names[i]));
        }
        sb.append('\n');
        for (Row row : rows) {
            for (int i = 0; i < names.length; i++) {
                sb.append(i > 0 ? "," : "").append(csvCell(text(row.get(i))));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String csvCell(String s) {
        if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }

    private static String json(StructType schema, List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        String[] names = schema.fieldNames();
        for (Row row : rows) {
            sb.append('{');
            for (int i = 0; i < names.length; i++) {
                sb.append(i > 0 ? "," : "").append(jsonString(names[i])).append(':').append(jsonValue(row.get(i)));
            }
            sb.append("}\n");
        }
        return sb.toString();
    }

    private static String jsonValue(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return v.toString();
        }
        if (v instanceof Double d) {
            return d.isNaN() || d.isInfinite() ? "null" : d.toString();
        }
        if (v instanceof Float f) {
            return f.isNaN() || f.isInfinite() ? "null" : f.toString();
        }
        if (v instanceof java.math.BigDecimal b) {
            return b.toPlainString();
        }
        return jsonString(text(v));
    }

    private static String jsonString(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
