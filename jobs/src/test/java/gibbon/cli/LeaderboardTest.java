package gibbon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code leaderboard} view over three real runs: two of the bundled model (the newer must stand
 * for it) and one of a copy under another path (another model). Its worst case per budget is
 * checked against the summary table, counted here, and its AutoAttack column against the entry
 * whose type is autoattack under a custom name.
 */
class LeaderboardTest {
    @TempDir
    static Path dir;
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final String EIGHT = String.valueOf(8.0 / 255);
    private static final List<String> runIds = new ArrayList<>();
    private static Path copy;

    private static String config(String name, String model, String attacks) throws IOException {
        Path file = dir.resolve(name + ".conf");
        Files.writeString(file, String.join("\n",
                "dataset {",
                "  images = \"" + ROOT.resolve("bundled/fashion-mnist/t10k-images-idx3-ubyte.gz") + "\"",
                "  labels = \"" + ROOT.resolve("bundled/fashion-mnist/t10k-labels-idx1-ubyte.gz") + "\"",
                "  limit = 64",
                "}",
                "model.uri = \"" + model + "\"",
                "attacks { " + attacks + " }",
                "spark.master = \"local[2]\"",
                "output.warehouse = \"" + dir.resolve("warehouse") + "\"",
                // A catalog of its own: the JVM's one session keeps the catalogs other test classes opened.
                "output.catalog = leaderboardtest",
                ""));
        return file.toString();
    }

    private static String run(String config) {
        CommandResult r = CommandResult.run("run", config);
        assertEquals(0, r.exitCode(), r.err());
        Matcher m = Pattern.compile("(?m)^run: (\\S+)$").matcher(r.out());
        assertTrue(m.find(), r.out());
        runIds.add(m.group(1));
        return m.group(1);
    }

    @BeforeAll
    static void threeRuns() throws IOException {
        Path bundled = ROOT.resolve("bundled/models/fashion-cnn");
        copy = dir.resolve("fashion-cnn-copy");
        Files.createDirectories(copy);
        try (Stream<Path> files = Files.list(bundled)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        run(config("old", bundled.toString(), "fgsm { epsilons = [" + EIGHT + ", 0.1] }"));
        run(config("new", bundled.toString(), "fgsm { epsilons = [" + EIGHT + ", 0.1] },"
                + " pgd { steps = 3, epsilons = [" + EIGHT + ", 0.1] }, pgd_l2 { steps = 3, epsilons = [0.5] },"
                + " aa { attack = autoattack, steps = 2, target-classes = 1, queries = 20, epsilons = [" + EIGHT + "] }"));
        run(config("copy", copy.toString(), "fgsm { epsilons = [0.05] }, noise { epsilons = [0.05] }"));
    }

    @Test
    void newestRunPerModelWithTheWorstCaseOverAttacks() throws Exception {
        CommandResult r = CommandResult.run("sql", "--config", dir.resolve("new.conf").toString(), "--format", "json",
                "SELECT * FROM leaderboard ORDER BY model, norm, epsilon");
        assertEquals(0, r.exitCode(), r.err());
        ObjectMapper mapper = new ObjectMapper();
        List<JsonNode> rows = new ArrayList<>();
        for (String line : r.out().lines().toList()) {
            rows.add(mapper.readTree(line));
        }
        Map<String, String> runOfModel = new TreeMap<>();
        rows.forEach(row -> runOfModel.put(row.get("model").textValue(), row.get("run_id").textValue()));
        // runs.model_uri holds the model's location as a URI.
        assertEquals(Map.of(ROOT.resolve("bundled/models/fashion-cnn").toUri().toString(), runIds.get(1),
                copy.toUri().toString(), runIds.get(2)), runOfModel, "the newest run stands for each model; the oldest run is not shown");

        // The worst case, counted from the summary table: per run and budget, the lowest robust accuracy and its attacks.
        SparkSession spark = SparkSession.active();
        Map<String, Double> worst = new HashMap<>();
        Map<String, Set<String>> strongest = new HashMap<>();
        Map<String, Double> clean = new HashMap<>();
        for (Row s : spark.sql("SELECT run_id, norm, epsilon, attack, robust_accuracy, clean_accuracy FROM"
                + " leaderboardtest.robustness.summary WHERE epsilon > 0").collectAsList()) {
            String cell = s.getString(0) + " " + s.getString(1) + " " + s.getDouble(2);
            double accuracy = s.getDouble(4);
            clean.put(s.getString(0), s.getDouble(5));
            if (!worst.containsKey(cell) || accuracy < worst.get(cell)) {
                worst.put(cell, accuracy);
                strongest.put(cell, new TreeSet<>());
            }
            if (accuracy == worst.get(cell)) {
                strongest.get(cell).add(s.getString(3));
            }
        }
        Set<String> expectedCells = new TreeSet<>();
        worst.keySet().stream().filter(c -> !c.startsWith(runIds.get(0))).forEach(expectedCells::add);
        Set<String> cells = new TreeSet<>();
        for (JsonNode row : rows) {
            String run = row.get("run_id").textValue();
            String cell = run + " " + row.get("norm").textValue() + " " + row.get("epsilon").doubleValue();
            cells.add(cell);
            assertEquals(worst.get(cell), row.get("robust_accuracy").doubleValue(), cell);
            assertTrue(strongest.get(cell).contains(row.get("attack").textValue()), cell + ": " + row);
            assertEquals(clean.get(run), row.get("clean_accuracy").doubleValue(), cell);
            assertEquals(64, row.get("n").intValue());
            assertEquals(64, row.get("config_hash").textValue().length(), "a SHA-256 in hex");
            double epsilon = row.get("epsilon").doubleValue();
            boolean standard = row.get("norm").textValue().equals("linf") ? epsilon == 8.0 / 255 : epsilon == 0.5;
            assertEquals(standard, row.get("standard").booleanValue(), cell);
        }
        assertEquals(expectedCells, cells, "one row per budget each newest run was attacked with");

        JsonNode standardLinf = rows.stream().filter(row -> row.get("run_id").textValue().equals(runIds.get(1))
                && row.get("standard").booleanValue() && row.get("norm").textValue().equals("linf")).findFirst().orElseThrow();
        double autoattack = spark.sql("SELECT robust_accuracy FROM leaderboardtest.robustness.summary WHERE run_id = '"
                + runIds.get(1) + "' AND attack = 'aa' AND epsilon > 0").first().getDouble(0);
        assertEquals(autoattack, standardLinf.get("autoattack_accuracy").doubleValue(), "the entry whose type is autoattack");
        assertEquals(3, standardLinf.get("attacks").intValue(), "fgsm, pgd and aa at 8/255");
        rows.stream().filter(row -> !row.get("run_id").textValue().equals(runIds.get(1))
                || !row.get("standard").booleanValue() || !row.get("norm").textValue().equals("linf"))
                .forEach(row -> assertTrue(row.get("autoattack_accuracy").isNull(), "no AutoAttack: " + row));
    }

    @Test
    void theCompareReportShowsTheLeaderboard() throws IOException {
        Path out = dir.resolve("reports");
        CommandResult r = CommandResult.run("report", runIds.get(1), runIds.get(2), "--out", out.toString(),
                "--config", dir.resolve("new.conf").toString());
        assertEquals(0, r.exitCode(), r.err());
        String notebook = Files.readString(out.resolve("compare-" + runIds.get(1) + "_vs_" + runIds.get(2))
                .resolve("report.ipynb"));
        assertTrue(notebook.contains("FROM leaderboard") && notebook.contains("autoattack_accuracy"), "the leaderboard table");
    }
}
