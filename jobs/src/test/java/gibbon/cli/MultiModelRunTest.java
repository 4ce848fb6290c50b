package gibbon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gibbon.model.ClassifierCache;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two models in one job on a real local[2] SparkSession, the real bundled CNN and the TorchScript
 * fixture, real Iceberg tables: each model's rows equal those of a one-model run of it, the
 * examples are read once, and the executor's cache (budget below the two models together, so the
 * second evicts the first) loads each model once.
 */
class MultiModelRunTest {
    private static final int EXAMPLES = 64;

    @TempDir
    static Path warehouse;

    @BeforeAll
    static void emptyTheCache() {
        // Earlier tests in this JVM may have left these models cached: this job's loads start from none.
        ClassifierCache.shared().evictIdle();
    }

    private static String[] run(String config, String... extra) {
        List<String> args = new ArrayList<>(List.of("run", config, "--set", "dataset.limit=" + EXAMPLES,
                "--set", "attacks.pgd.steps=3", "--set", "attacks.pgd_l2.enabled=false", "--set", "attacks.noise.enabled=false",
                "--set", "output.warehouse=" + warehouse, "--set", "output.catalog=multitest",
                "--set", "spark.master=\"local[2]\"", "--set", "sweep.batch-size=16"));
        args.addAll(Arrays.asList(extra));
        return args.toArray(String[]::new);
    }

    /** Run id and model loads per executor of each model in a job's summary. */
    private static Map<String, String[]> runs(String out) {
        Map<String, String[]> runs = new TreeMap<>();
        Matcher m = Pattern.compile("(?m)^(model|bn-cnn) +(\\S+) +[0-9.]+  (.*)$").matcher(out);
        while (m.find()) {
            runs.put(m.group(1), new String[] {m.group(2), m.group(3)});
        }
        return runs;
    }

    private static String oneRunId(String out) {
        Matcher m = Pattern.compile("(?m)^run: (\\S+)$").matcher(out);
        assertTrue(m.find(), out);
        return m.group(1);
    }

    /** A run's prediction rows without their run id, sorted. */
    private static List<String> predictions(String runId) {
        SparkSession spark = SparkSession.active();
        String columns = Stream.of(spark.table("multitest.robustness.predictions").columns())
                .filter(c -> !c.equals("run_id")).collect(Collectors.joining(", "));
        return spark.sql("SELECT " + columns + " FROM multitest.robustness.predictions WHERE run_id = '" + runId + "'")
                .collectAsList().stream().map(Row::toString).sorted().toList();
    }

    @Test
    void twoModelsInOneJobWriteTheRowsOfTwoOneModelRuns() {
        CommandResult job = CommandResult.run(run("conf/models.conf", "--set", "models.resnet20=null",
                "--set", "sweep.model-cache-bytes=2M"));
        assertEquals(0, job.exitCode(), job.err());
        Map<String, String[]> runs = runs(job.out());
        assertEquals(List.of("bn-cnn", "model"), List.copyOf(runs.keySet()), job.out());
        for (String name : runs.keySet()) {
            assertTrue(job.out().contains("run: " + runs.get(name)[0] + " (model: " + name + ")"), job.out());
            // local mode: the driver is the one executor; the 2 MiB budget cannot hold both models.
            assertEquals("driver: 1", runs.get(name)[1], name + " is loaded once");
        }
        assertTrue(job.out().contains("summary of 2 runs (64 examples, 64 read from the dataset,"), job.out());
        assertTrue(job.out().contains("examples: 64 in 4 partitions, read once for 2 models"), job.out());
        assertTrue(job.out().contains("model cache: budget 2097152 bytes (2.00 MiB); peak driver: "), job.out());
        assertTrue(SparkSession.active().sparkContext().getPersistentRDDs().isEmpty(), "the examples are unpersisted");

        CommandResult cnn = CommandResult.run(run("conf/default.conf"));
        assertEquals(0, cnn.exitCode(), cnn.err());
        CommandResult bn = CommandResult.run(run("conf/torchscript.conf"));
        assertEquals(0, bn.exitCode(), bn.err());
        List<String> cnnRows = predictions(oneRunId(cnn.out()));
        assertEquals(EXAMPLES * 14, cnnRows.size(), "64 examples x 7 fgsm and 7 pgd epsilons");
        assertEquals(cnnRows, predictions(runs.get("model")[0]));
        assertEquals(predictions(oneRunId(bn.out())), predictions(runs.get("bn-cnn")[0]));

        List<Row> recorded = SparkSession.active().sql("SELECT run_id, status, model_uri FROM multitest.robustness.runs"
                + " WHERE run_id IN ('" + runs.get("model")[0] + "', '" + runs.get("bn-cnn")[0] + "') ORDER BY model_uri")
                .collectAsList();
        assertEquals(2, recorded.size());
        assertTrue(recorded.stream().allMatch(r -> r.getString(1).equals("succeeded")), recorded.toString());
        assertTrue(recorded.get(0).getString(2).contains("bundled/models/fashion-cnn"), recorded.toString());
        assertTrue(recorded.get(1).getString(2).endsWith("fashion_bn_cnn.pt"), recorded.toString());
    }

    @Test
    void aRunIdOrAModelOverTheBudgetIsAConfigErrorBeforeAnyTableIsTouched() {
        CommandResult id = CommandResult.run(run("conf/models.conf", "--set", "models.resnet20=null", "--run-id", "r1"));
        assertEquals(2, id.exitCode(), id.err());
        assertTrue(id.err().contains("--run-id r1: the config names 2 models (model, bn-cnn), each a run of its own"),
                id.err());
        Path tables = warehouse.resolve("robustness");
        long before = tables.toFile().exists() ? SparkSession.active().table("multitest.robustness.runs").count() : 0;
        CommandResult over = CommandResult.run(run("conf/models.conf", "--set", "models.resnet20=null",
                "--set", "sweep.model-cache-bytes=1M"));
        assertEquals(2, over.exitCode(), over.err());
        assertTrue(over.err().contains("config key 'sweep.model-cache-bytes': ") && over.err().contains("fashion-cnn")
                && over.err().contains("more than the model cache budget of 1048576 bytes"), over.err());
        assertEquals(1, over.err().lines().filter(l -> l.startsWith("gibbon: ")).count(), over.err());
        long after = tables.toFile().exists() ? SparkSession.active().table("multitest.robustness.runs").count() : 0;
        assertEquals(before, after);
    }
}
