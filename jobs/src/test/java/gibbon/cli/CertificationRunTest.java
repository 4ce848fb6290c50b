package gibbon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import gibbon.certify.GaussianNoise;
import gibbon.certify.SmoothedClassifier;
import gibbon.certify.SmoothedPrediction;
import gibbon.data.Example;
import gibbon.model.ClassifierCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gibbon run conf/certify.conf}, scaled down (a few examples, fewer samples), on a real local[2] SparkSession: the run writes {@code certified} and
 * {@code certified_summary}, and {@code gibbon sql} sets the certified accuracy beside PGD-L2's
 * robust accuracy in the {@code certified_bracket} view.
 */
class CertificationRunTest {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final int EXAMPLES = 6;
    private static final List<Double> RADII = List.of(0.0, 0.1, 0.25, 0.5);
    private static final String MODEL = "bundled/models/fashion-cnn-noise-0.25";

    @TempDir
    static Path dir;

    private static Path config;
    private static CommandResult run;

    @BeforeAll
    static void certify() throws IOException {
        config = dir.resolve("certify.conf");
        Files.writeString(config, String.join("\n",
                "include file(\"" + ROOT.resolve("conf/certify.conf") + "\")",
                "output { warehouse = \"" + dir.resolve("warehouse") + "\", catalog = certrun }",
                "spark.master = \"local[2]\"",
                "model.uri = \"" + ROOT.resolve(MODEL) + "\"",
                "output.adversarial-fraction = 1",
                "dataset.images = \"" + ROOT.resolve("bundled/fashion-mnist/t10k-images-idx3-ubyte.gz") + "\"",
                "dataset.labels = \"" + ROOT.resolve("bundled/fashion-mnist/t10k-labels-idx1-ubyte.gz") + "\"",
                "dataset.limit = " + EXAMPLES,
                "vars.radii = " + RADII,
                "attacks.pgd_l2.steps = 5",
                "certify { n = 600, batch-size = 100, chunk-size = 300 }"));
        run = CommandResult.run("run", config.toString());
    }

    private static List<JsonNode> sql(String query) throws IOException {
        CommandResult r = CommandResult.run("sql", "--config", config.toString(), "--format", "json", query);
        assertEquals(0, r.exitCode(), r.err());
        List<JsonNode> rows = new ArrayList<>();
        for (String line : r.out().lines().toList()) {
            rows.add(new ObjectMapper().readTree(line));
        }
        return rows;
    }

    @Test
    void theRunWritesCertificatesAndTheirSummary() throws IOException {
        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("certify: " + EXAMPLES + " examples x sigma [0.25]"), run.out());
        assertTrue(run.out().contains("certified accuracy of run"), run.out());
        List<JsonNode> certified = sql("SELECT * FROM certified ORDER BY example_id");
        assertEquals(EXAMPLES, certified.size());
        for (JsonNode c : certified) {
            assertEquals(600, c.get("n").asLong());
            assertEquals(c.get("abstained").asBoolean(), c.get("p_a_lower").asDouble() < 0.5, c.toString());
        }
        List<JsonNode> summary = sql("SELECT * FROM certified_summary ORDER BY radius");
        assertEquals(RADII.size(), summary.size());
        double previous = 1;
        for (JsonNode s : summary) {
            double accuracy = s.get("certified_accuracy").asDouble();
            assertTrue(accuracy <= previous, "certified accuracy does not grow with the radius: " + summary);
            assertTrue(accuracy <= s.get("smoothed_accuracy").asDouble(), "never above the smoothed classifier's: " + s);
            assertTrue(s.get("ci_low").asDouble() <= accuracy && accuracy <= s.get("ci_high").asDouble(), s.toString());
            previous = accuracy;
        }
    }

    @Test
    void theReportDrawsTheBracketFromTheTables() throws IOException {
        assertEquals(0, run.exitCode(), run.out() + run.err());
        Path out = dir.resolve("reports");
        CommandResult r = CommandResult.run("report", "--config", config.toString(), "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        Path folder;
        try (Stream<Path> made = Files.list(out)) {
            folder = made.findFirst().orElseThrow();
        }
        assertTrue(Files.size(folder.resolve("certified_bracket.png")) > 1000);
        Map<Double, Double> certified = new HashMap<>();
        for (JsonNode s : sql("SELECT radius, certified_accuracy FROM certified_summary")) {
            certified.put(s.get("radius").asDouble(), s.get("certified_accuracy").asDouble());
        }
        List<String> data = Files.readAllLines(folder.resolve("data/certified_bracket.csv"));
        assertEquals("kind,curve,epsilon,accuracy,ci_low,ci_high,clean", data.get(0));
        Map<Double, Double> drawn = new HashMap<>();
        long attacked = 0;
        for (String line : data.subList(1, data.size())) {
            String[] cells = line.split(",");
            if (cells[0].equals("certified")) {
                drawn.put(Double.parseDouble(cells[2]), Double.parseDouble(cells[3]));
            } else {
                assertEquals("pgd_l2", cells[1], line);
                attacked++;
            }
        }
        assertEquals(certified, drawn, "the certified curve is certified_summary's");
        assertEquals(sql("SELECT * FROM robustness_curve WHERE norm = 'l2'").size(), attacked, "and the attacked one pgd_l2's");
        // The per-example table keeps every certificate.
        JsonNode notebook = new ObjectMapper().readTree(folder.resolve("report.ipynb").toFile());
        String table = null;
        for (JsonNode cell : notebook.get("cells")) {
            StringBuilder source = new StringBuilder();
            cell.get("source").forEach(line -> source.append(line.asText()));
            Matcher m = Pattern.compile("FROM certified WHERE .*\"(table_\\d+\\.csv)\"\\)$", Pattern.DOTALL).matcher(source);
            if (m.find()) {
                table = m.group(1);
            }
        }
        assertTrue(table != null, "no cell lists the certificates");
        assertEquals(EXAMPLES + 1, Files.readAllLines(folder.resolve("data").resolve(table)).size());
    }

    /**
     * A sanity signal for the certificates, not a proof: PGD-L2 attacked the base model, so its inputs
     * are not the smoothed classifier's worst case; but any of them within an example's certified
     * radius must leave the smoothed classifier's answer the certified class. PREDICT on 1000 fresh
     * noisy copies (other noise than the run's) may abstain, and contradicts the certificate with
     * probability at most α where the certificate holds.
     */
    @Test
    void storedPgdL2InputsInsideACertifiedRadiusKeepTheSmoothedAnswer() throws IOException {
        assertEquals(0, run.exitCode(), run.out() + run.err());
        Map<Long, JsonNode> certificates = new HashMap<>();
        for (JsonNode c : sql("SELECT example_id, predicted, radius, sigma FROM certified WHERE NOT abstained")) {
            certificates.put(c.get("example_id").asLong(), c);
        }
        SmoothedClassifier smoothed = new SmoothedClassifier(
                ClassifierCache.get(ROOT.resolve(MODEL).toString(), Device.cpu(), 1, Map.of()), 100);
        int inside = 0;
        int brokenBase = 0;
        for (JsonNode a : sql("SELECT example_id, label, epsilon, predicted, tensor FROM adversarial_examples"
                + " WHERE attack = 'pgd_l2' AND epsilon > 0")) {
            long id = a.get("example_id").asLong();
            JsonNode c = certificates.get(id);
            if (c == null || a.get("epsilon").asDouble() >= c.get("radius").asDouble()) {
                continue;
            }
            float[] x = new float[a.get("tensor").size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) a.get("tensor").get(i).asDouble();
            }
            long[] counts = smoothed.counts(Example.ofValues(id, a.get("label").asInt(), x),
                    GaussianNoise.of(7, id, c.get("sigma").asDouble()), 0, 0, 1000);
            SmoothedPrediction p = SmoothedPrediction.predict(counts, 0.001);
            assertTrue(p.abstained() || p.predicted() == c.get("predicted").asInt(), "example " + id + " certified "
                    + c + " but PGD-L2's input at " + a.get("epsilon") + " is classified " + p.predicted());
            inside++;
            brokenBase += a.get("predicted").asInt() != c.get("predicted").asInt() ? 1 : 0;
        }
        System.out.printf("PGD-L2 inputs inside a certified radius: %d, base model's answer changed on %d, smoothed"
                + " classifier's never%n", inside, brokenBase);
        assertTrue(inside > 0, "no stored PGD-L2 input lies inside a certified radius: nothing was checked");
    }

    @Test
    void theBracketSetsCertifiedBesideEmpiricalAccuracy() throws IOException {
        assertEquals(0, run.exitCode(), run.out() + run.err());
        List<JsonNode> bracket = sql("SELECT * FROM certified_bracket ORDER BY radius");
        assertEquals(RADII.size(), bracket.size());
        for (JsonNode b : bracket) {
            assertEquals("pgd_l2", b.get("strongest_attack").asText(), b.toString());
            assertEquals(1, b.get("l2_attacks").asInt());
            // A certificate holds for the smoothed classifier; PGD-L2 breaks the base model: at radius 0
            // both are plain accuracies, and no bound orders them, so only their presence is checked.
            assertTrue(b.get("empirical_robust_accuracy").isNumber() && b.get("certified_accuracy").isNumber(), b.toString());
        }
    }
}
