package gibbon.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.univocity.parsers.csv.CsvParser;
import com.univocity.parsers.csv.CsvParserSettings;
import gibbon.config.ConfigLoader;
import java.io.StringReader;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --format json} and {@code --format csv} round-trip every column type the result tables
 * use (and binary, maps and structs besides): rows written to an Iceberg table, read back with a
 * query, rendered, and parsed again with Jackson and univocity's CSV parser.
 */
class QueryFormatTest {
    @TempDir
    static Path warehouse;
    private static SparkSession spark;

    /** Per column: its SQL type and its values in the two rows (null and awkward cases in the second). */
    private static final String COLUMNS = "s STRING, i INT, l BIGINT, f FLOAT, d DOUBLE, b BOOLEAN, t TIMESTAMP,"
            + " names ARRAY<STRING>, tensor ARRAY<FLOAT>, shape ARRAY<INT>, bytes BINARY, m MAP<STRING, DOUBLE>,"
            + " st STRUCT<a: INT, b: STRING>";

    @BeforeAll
    static void table() {
        spark = GibbonSpark.session(ConfigLoader.load(Path.of("conf/default.conf"),
                List.of("output.warehouse=" + warehouse, "output.catalog=queryformattest")));
        spark.sql("CREATE TABLE queryformattest.robustness.every_type (" + COLUMNS + ") USING iceberg");
        spark.sql("INSERT INTO queryformattest.robustness.every_type VALUES"
                + " ('T-shirt/top, \"quoted\"\nnew line', 2147483647, 9007199254740993, CAST(0.1 AS FLOAT),"
                + "  0.1D + 0.2D, true, TIMESTAMP '2026-11-25 22:06:43.123456',"
                + "  array('T-shirt/top', 'Trouser, long', ''), array(CAST(0.1 AS FLOAT), CAST(1e-7 AS FLOAT),"
                + "  CAST(3.4028235e38 AS FLOAT)), array(1, 28, 28), X'00FF10', map('linf', 0.5D, 'l2', 1.0D),"
                + "  named_struct('a', 1, 'b', 'x')),"
                + " ('', NULL, -1, CAST('NaN' AS FLOAT), CAST('-Infinity' AS DOUBLE), NULL, NULL,"
                + "  array(), NULL, array(7), NULL, map(), NULL)");
    }

    private static List<Row> rows() {
        return spark.sql("SELECT * FROM queryformattest.robustness.every_type ORDER BY l DESC").collectAsList();
    }

    @Test
    void jsonLinesKeepEveryType() throws Exception {
        List<Row> rows = rows();
        String out = QueryFormat.JSON.render(rows.get(0).schema(), rows);
        List<String> lines = out.lines().toList();
        assertEquals(2, lines.size(), out);
        ObjectMapper mapper = new ObjectMapper();
        JsonNode first = mapper.readTree(lines.get(0));
        assertEquals("T-shirt/top, \"quoted\"\nnew line", first.get("s").textValue());
        assertTrue(first.get("i").isInt());
        assertEquals(2147483647, first.get("i").intValue());
        assertEquals(9007199254740993L, first.get("l").longValue());
        assertTrue(first.get("f").isNumber());
        assertEquals(0.1f, first.get("f").floatValue());
        assertEquals(0.1 + 0.2, first.get("d").doubleValue());
        assertEquals(true, first.get("b").booleanValue());
        assertEquals("2026-11-25T22:06:43.123456Z", first.get("t").textValue());
        assertEquals(Instant.parse("2026-11-25T22:06:43.123456Z"),
                ((java.sql.Timestamp) rows.get(0).get(6)).toInstant());
        assertEquals(List.of("T-shirt/top", "Trouser, long", ""),
                mapper.convertValue(first.get("names"), List.class));
        assertTrue(first.get("tensor").isArray());
        assertEquals(List.of(0.1f, 1e-7f, 3.4028235e38f), floats(first.get("tensor")));
        assertEquals(List.of(1, 28, 28), mapper.convertValue(first.get("shape"), List.class));
        assertEquals(List.of(0, 255, 16), unsigned(Base64.getDecoder().decode(first.get("bytes").textValue())));
        assertEquals(Map.of("linf", 0.5, "l2", 1.0), mapper.convertValue(first.get("m"), Map.class));
        assertEquals(1, first.get("st").get("a").intValue());
        assertEquals("x", first.get("st").get("b").textValue());

        JsonNode second = mapper.readTree(lines.get(1));
        assertEquals("", second.get("s").textValue());
        for (String column : List.of("i", "b", "t", "tensor", "bytes", "st")) {
            assertTrue(second.get(column).isNull(), column + " is null in the table, not " + second.get(column));
        }
        // JSON has no NaN: Jackson writes non-finite numbers as strings it reads back into floats.
        assertTrue(Float.isNaN(mapper.treeToValue(second.get("f"), Float.class)));
        assertEquals(Double.NEGATIVE_INFINITY, mapper.treeToValue(second.get("d"), Double.class));
        assertEquals(0, second.get("names").size());
        assertEquals(0, second.get("m").size());
    }

    @Test
    void csvHasOneCellPerColumnAndArraysAsJson() throws Exception {
        List<Row> rows = rows();
        String out = QueryFormat.CSV.render(rows.get(0).schema(), rows);
        CsvParserSettings settings = new CsvParserSettings();
        settings.getFormat().setLineSeparator("\n");
        settings.setIgnoreLeadingWhitespaces(false);
        settings.setIgnoreTrailingWhitespaces(false);
        settings.setEmptyValue("");
        settings.setNullValue(null);
        List<String[]> parsed = new CsvParser(settings).parseAll(new StringReader(out));
        assertEquals(3, parsed.size(), out);
        String[] header = parsed.get(0);
        assertEquals(Arrays.asList(rows.get(0).schema().fieldNames()), Arrays.asList(header));
        Map<String, String> first = cells(header, parsed.get(1));
        ObjectMapper mapper = new ObjectMapper();
        assertEquals("T-shirt/top, \"quoted\"\nnew line", first.get("s"));
        assertEquals(2147483647, Integer.parseInt(first.get("i")));
        assertEquals(9007199254740993L, Long.parseLong(first.get("l")));
        assertEquals(0.1f, Float.parseFloat(first.get("f")));
        assertEquals(0.1 + 0.2, Double.parseDouble(first.get("d")));
        assertEquals("true", first.get("b"));
        assertEquals(Instant.parse("2026-11-25T22:06:43.123456Z"), Instant.parse(first.get("t")));
        assertEquals(List.of("T-shirt/top", "Trouser, long", ""), mapper.readValue(first.get("names"), List.class));
        assertEquals(List.of(0.1f, 1e-7f, 3.4028235e38f), floats(mapper.readTree(first.get("tensor"))));
        assertEquals(List.of(1, 28, 28), mapper.readValue(first.get("shape"), List.class));
        assertEquals(List.of(0, 255, 16), unsigned(Base64.getDecoder().decode(first.get("bytes"))));
        assertEquals(Map.of("linf", 0.5, "l2", 1.0), mapper.readValue(first.get("m"), Map.class));
        assertEquals(Map.of("a", 1, "b", "x"), mapper.readValue(first.get("st"), Map.class));

        Map<String, String> second = cells(header, parsed.get(2));
        assertEquals("", second.get("s"), "the empty string is not null");
        for (String column : List.of("i", "b", "t", "tensor", "bytes", "st")) {
            assertEquals(null, second.get(column), column);
        }
        assertTrue(Float.isNaN(Float.parseFloat(second.get("f"))));
        assertEquals(Double.NEGATIVE_INFINITY, Double.parseDouble(second.get("d")));
        assertEquals("[]", second.get("names"));
        assertEquals("{}", second.get("m"));
    }

    private static Map<String, String> cells(String[] header, String[] values) {
        assertEquals(header.length, values.length, Arrays.toString(values));
        Map<String, String> cells = new LinkedHashMap<>();
        for (int i = 0; i < header.length; i++) {
            cells.put(header[i], values[i]);
        }
        return cells;
    }

    private static List<Float> floats(JsonNode array) {
        List<Float> values = new ArrayList<>();
        array.forEach(v -> values.add(v.floatValue()));
        return values;
    }

    private static List<Integer> unsigned(byte[] bytes) {
        List<Integer> values = new ArrayList<>();
        for (byte b : bytes) {
            values.add(b & 0xff);
        }
        return values;
    }
}
