package gibbon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gibbon run conf/certify.conf}, scaled down (the bundled baseline model, a few examples,
 * fewer samples), on a real local[2] SparkSession: the run writes {@code certified} and
 * {@code certified_summary}, and {@code gibbon sql} sets the certified accuracy beside PGD-L2's
 * robust accuracy in the {@code certified_bracket} view.
 */
class CertificationRunTest {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final int EXAMPLES = 6;
    private static final List<Double> RADII = List.of(0.0, 0.25, 0.5);

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
                "model.uri = \"" + ROOT.resolve("bundled/models/fashion-cnn") + "\"",
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
