package gibbon.jobs;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.univocity.parsers.csv.CsvWriter;
import com.univocity.parsers.csv.CsvWriterSettings;
import gibbon.report.PlainTable;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * How {@code gibbon sql} prints a result: an aligned text table, CSV with a header, or JSON lines.
 * JSON keeps every value's type: arrays as arrays, maps and structs as objects, numbers as numbers
 * (NaN and infinities as the strings Jackson writes for them), timestamps as ISO-8601 UTC, binary
 * as base64. CSV writes the same values one per cell, arrays, maps and structs as their JSON; a
 * null is an empty cell, the empty string a quoted {@code ""}.
 */
public enum QueryFormat {
    TABLE,
    CSV,
    JSON;

    private static final JsonFactory JSON_FACTORY = new JsonFactory();

    /** Renders rows of a schema, ending with a newline. */
    public String render(StructType schema, List<Row> rows) {
        return switch (this) {
            case TABLE -> table(schema, rows);
            case CSV -> csv(schema, rows);
            case JSON -> json(schema, rows);
        };
    }

    /** A CSV writer (univocity's, as Spark's CSV source uses) that quotes as RFC 4180 says and keeps spaces. */
    public static CsvWriter csvWriter(Writer out) {
        CsvWriterSettings settings = new CsvWriterSettings();
        settings.getFormat().setLineSeparator("\n");
        settings.setIgnoreLeadingWhitespaces(false);
        settings.setIgnoreTrailingWhitespaces(false);
        settings.setQuoteEscapingEnabled(true);
        settings.setNullValue(null);
        // As Spark's CSV writer: an empty string stays distinguishable from null.
        settings.setEmptyValue("\"\"");
        return new CsvWriter(out, settings);
    }

    /** One value as a CSV cell: null as null, arrays, maps and structs as JSON, the rest as in JSON. */
    public static String csvCell(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof scala.collection.Iterable<?> || v instanceof Row || v instanceof byte[]) {
            StringWriter json = new StringWriter();
            try (JsonGenerator g = JSON_FACTORY.createGenerator(json)) {
                writeJson(g, v);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            String s = json.toString();
            // Binary is a JSON string: its cell is the base64 text itself.
            return v instanceof byte[] ? s.substring(1, s.length() - 1) : s;
        }
        return scalarText(v);
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
        StringWriter out = new StringWriter();
        CsvWriter writer = csvWriter(out);
        writer.writeHeaders(schema.fieldNames());
        for (Row row : rows) {
            Object[] cells = new Object[schema.size()];
            for (int i = 0; i < cells.length; i++) {
                cells[i] = csvCell(row.get(i));
            }
            writer.writeRow(cells);
        }
        writer.close();
        return out.toString();
    }

    private static String json(StructType schema, List<Row> rows) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON_FACTORY.createGenerator(out)) {
            String[] names = schema.fieldNames();
            for (Row row : rows) {
                g.writeStartObject();
                for (int i = 0; i < names.length; i++) {
                    g.writeFieldName(names[i]);
                    writeJson(g, row.get(i));
                }
                g.writeEndObject();
                g.flush();
                out.write('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Writes a value as Spark hands it to a driver (boxed scalars, Scala collections, Rows) in its JSON type. */
    private static void writeJson(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            g.writeNumber(((Number) v).intValue());
        } else if (v instanceof Long l) {
            g.writeNumber(l);
        } else if (v instanceof Float f) {
            g.writeNumber(f);
        } else if (v instanceof Double d) {
            g.writeNumber(d);
        } else if (v instanceof BigDecimal d) {
            g.writeNumber(d);
        } else if (v instanceof byte[] b) {
            g.writeBinary(b);
        } else if (v instanceof Row struct) {
            g.writeStartObject();
            String[] names = struct.schema() == null ? null : struct.schema().fieldNames();
            for (int i = 0; i < struct.size(); i++) {
                g.writeFieldName(names == null ? "_" + (i + 1) : names[i]);
                writeJson(g, struct.get(i));
            }
            g.writeEndObject();
        } else if (v instanceof scala.collection.Map<?, ?> map) {
            g.writeStartObject();
            scala.collection.Iterator<? extends scala.Tuple2<?, ?>> entries = map.iterator();
            while (entries.hasNext()) {
                scala.Tuple2<?, ?> entry = entries.next();
                g.writeFieldName(csvCell(entry._1()));
                writeJson(g, entry._2());
            }
            g.writeEndObject();
        } else if (v instanceof scala.collection.Iterable<?> seq) {
            g.writeStartArray();
            scala.collection.Iterator<?> values = seq.iterator();
            while (values.hasNext()) {
                writeJson(g, values.next());
            }
            g.writeEndArray();
        } else {
            g.writeString(scalarText(v));
        }
    }

    /** Scalars as text: timestamps as ISO-8601 UTC instants, dates as ISO dates, numbers as Java prints them. */
    private static String scalarText(Object v) {
        if (v instanceof Timestamp t) {
            return t.toInstant().toString();
        }
        if (v instanceof java.sql.Date d) {
            return d.toLocalDate().toString();
        }
        if (v instanceof BigDecimal d) {
            return d.toPlainString();
        }
        // Instant, LocalDate and LocalDateTime (the Java 8 time API, timestamp_ntz) print ISO-8601 already.
        return v.toString();
    }
}
