package gibbon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default experiment end to end on a real local[2] SparkSession: the real bundled model and
 * data, real Iceberg tables in a temporary warehouse, driven through the real command line.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RobustnessRunTest {
    private static final int EXAMPLES = 512;
    /** (attack, epsilon) pairs of the default config: 7 fgsm + 7 pgd + 4 pgd_l2 + 7 noise. */
    private static final int PAIRS = 25;

    @TempDir
    static Path warehouse;

    private static final List<String> runIds = new ArrayList<>();

    private static String[] settings(String... extra) {
        List<String> args = new ArrayList<>(List.of("--set", "output.warehouse=" + warehouse, "--set", "output.catalog=runtest",
                "--set", "spark.master=\"local[2]\""));
        args.addAll(Arrays.asList(extra));
        return args.toArray(String[]::new);
    }

    private static String[] run(String... extra) {
        return Stream.concat(Stream.of("run", "conf/default.conf", "--set", "dataset.limit=" + EXAMPLES,
                "--set", "attacks.pgd.steps=5", "--set", "attacks.pgd_l2.steps=5"), Arrays.stream(settings(extra)))
                .toArray(String[]::new);
    }

    private static SparkSession spark() {
        return SparkSession.active();
    }

    private static String runId(String out) {
        Matcher m = Pattern.compile("(?m)^run: (\\S+)$").matcher(out);
        assertTrue(m.find(), out);
        return m.group(1);
    }

    private static List<Long> snapshots() {
        List<Long> ids = new ArrayList<>();
        for (String t : List.of("runs", "predictions", "summary")) {
            spark().sql("SELECT snapshot_id FROM runtest.robustness." + t + ".snapshots ORDER BY committed_at")
                    .collectAsList().forEach(r -> ids.add(r.getLong(0)));
        }
        return ids;
    }

    @Test
    @Order(1)
    void runWritesTheThreeTables() {
        CommandResult r = CommandResult.run(run());
        assertEquals(0, r.exitCode(), r.err());
        String id = runId(r.out());
        runIds.add(id);
        assertTrue(r.out().contains("512 of 10000 examples"), r.out());
        // Two task slots, but a second partition per slot would split the two batches of 256.
        assertTrue(r.out().contains("attack: 512 examples x 25 (attack, epsilon) pairs in 2 partitions, batch 256"),
                r.out());
        assertTrue(r.out().contains("attack pgd: 512/512 examples"), r.out());
        assertTrue(r.out().contains("robust_acc") && r.out().contains("pgd_l2"), r.out());

        long predictions = spark().sql("SELECT * FROM runtest.robustness.predictions WHERE run_id = '" + id + "'").count();
        assertEquals((long) EXAMPLES * PAIRS, predictions);
        assertEquals(EXAMPLES, spark().sql("SELECT DISTINCT example_id FROM runtest.robustness.predictions WHERE run_id = '"
                + id + "'").count());
        List<Row> summary = spark().sql("SELECT attack, epsilon, robust_accuracy, clean_accuracy, n, ci_low, ci_high"
                + " FROM runtest.robustness.summary WHERE run_id = '" + id + "'").collectAsList();
        assertEquals(PAIRS, summary.size());
        for (Row s : summary) {
            assertEquals(EXAMPLES, s.getLong(4));
            assertTrue(s.getDouble(5) <= s.getDouble(2) && s.getDouble(2) <= s.getDouble(6));
            if (s.getDouble(1) == 0.0) {
                assertEquals(s.getDouble(3), s.getDouble(2), 1e-12, "epsilon 0 must equal clean for " + s.getString(0));
            }
        }
        // Each summary row against counts taken here in Java from the prediction rows: correct means
        // predicted == label, clean means right at fgsm's epsilon 0.
        Map<Long, Boolean> cleanRight = new HashMap<>();
        Map<String, double[]> counts = new TreeMap<>();
        List<Row> rows = spark().sql("SELECT example_id, label, attack, epsilon, predicted, correct, confidence FROM"
                + " runtest.robustness.predictions WHERE run_id = '" + id + "'").collectAsList();
        for (Row p : rows) {
            assertEquals(p.getInt(4) == p.getInt(1), p.getBoolean(5), "correct of " + p);
            if (p.getString(2).equals("fgsm") && p.getDouble(3) == 0.0) {
                cleanRight.put(p.getLong(0), p.getBoolean(5));
            }
        }
        assertEquals(EXAMPLES, cleanRight.size());
        for (Row p : rows) {
            // n, correct, clean correct, flipped (clean right, now wrong), sum of confidence
            double[] c = counts.computeIfAbsent(p.getString(2) + " " + p.getDouble(3), k -> new double[5]);
            boolean right = p.getInt(4) == p.getInt(1);
            boolean clean = cleanRight.get(p.getLong(0));
            c[0]++;
            c[1] += right ? 1 : 0;
            c[2] += clean ? 1 : 0;
            c[3] += clean && !right ? 1 : 0;
            c[4] += p.getFloat(6);
        }
        List<Row> stored = spark().sql("SELECT attack, epsilon, n, correct, robust_accuracy, clean_accuracy,"
                + " attack_success_rate, mean_confidence FROM runtest.robustness.summary WHERE run_id = '" + id + "'")
                .collectAsList();
        assertEquals(counts.keySet(), stored.stream().map(s -> s.getString(0) + " " + s.getDouble(1))
                .collect(Collectors.toCollection(TreeSet::new)));
        for (Row s : stored) {
            double[] c = counts.get(s.getString(0) + " " + s.getDouble(1));
            String pair = s.getString(0) + " at " + s.getDouble(1);
            assertEquals((long) c[0], s.getLong(2), "n of " + pair);
            assertEquals((long) c[1], s.getLong(3), "correct of " + pair);
            assertEquals(c[1] / c[0], s.getDouble(4), 1e-12, "robust accuracy of " + pair);
            assertEquals(c[2] / c[0], s.getDouble(5), 1e-12, "clean accuracy of " + pair);
            assertEquals(c[3] / c[2], s.getDouble(6), 1e-12, "attack success rate of " + pair);
            assertEquals(c[4] / c[0], s.getDouble(7), 1e-6, "mean confidence of " + pair);
        }
        Row pgd = spark().sql("SELECT robust_accuracy, clean_accuracy FROM runtest.robustness.summary WHERE run_id = '" + id
                + "' AND attack = 'pgd' AND epsilon = 0.1").first();
        assertTrue(pgd.getDouble(0) < 0.2, "PGD at 0.1 leaves " + pgd.getDouble(0));
        Row run = spark().sql("SELECT status, n_examples, model_sha256, config, finished_at FROM runtest.robustness.runs"
                + " WHERE run_id = '" + id + "'").first();
        assertEquals("succeeded", run.getString(0));
        assertEquals(EXAMPLES, run.getLong(1));
        assertEquals(64, run.getString(2).length());
        assertTrue(run.getString(3).contains("\"steps\":5"), run.getString(3));
        assertTrue(!run.isNullAt(4));
    }

    /**
     * The embedded default must not listen beyond this machine: every listening TCP socket this JVM
     * holds (Spark's driver RPC and block manager; the UI is off) is bound to a loopback address.
     */
    @Test
    @Order(2)
    void embeddedSparkListensOnLoopbackOnly() throws IOException {
        assertTrue(spark().sparkContext().master().startsWith("local"));
        assertTrue(spark().sparkContext().ui().isEmpty(), "the Spark UI is off in local mode");
        java.util.Set<String> ours = new java.util.HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    Matcher m = Pattern.compile("socket:\\[(\\d+)]").matcher(Files.readSymbolicLink(fd).toString());
                    if (m.matches()) {
                        ours.add(m.group(1));
                    }
                } catch (IOException closedMeanwhile) {
                    // A descriptor closed while listing is not a listening socket of ours.
                }
            }
        }
        List<String> listening = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> lines = Files.readAllLines(Path.of(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                // f[1] local address (hex ip:port), f[3] state (0A = LISTEN), f[9] inode.
                if (f[3].equals("0A") && ours.contains(f[9])) {
                    listening.add(f[1]);
                }
            }
        }
        assertTrue(!listening.isEmpty(), "the driver listens somewhere");
        for (String address : listening) {
            String ip = address.substring(0, address.indexOf(':'));
            boolean loopback = ip.equals("0100007F") || ip.equals("00000000000000000000000001000000")
                    || ip.equals("0000000000000000FFFF00000100007F");
            assertTrue(loopback, "listening on " + address + " (not loopback) among " + listening);
        }
    }

    @Test
    @Order(2)
    void secondRunAppendsAndRepeatsTheFirstExactly() {
        String first = runIds.get(0);
        long firstRows = spark().sql("SELECT * FROM runtest.robustness.predictions WHERE run_id = '" + first + "'").count();
        // Without sampled inputs the last attack's rows go straight into the publishing commit: same rows.
        CommandResult r = CommandResult.run(run("--set", "output.adversarial-fraction=0"));
        assertEquals(0, r.exitCode(), r.err());
        String second = runId(r.out());
        runIds.add(second);
        assertTrue(!second.equals(first));
        assertEquals(firstRows, spark().sql("SELECT * FROM runtest.robustness.predictions WHERE run_id = '" + first + "'").count());
        String columns = "example_id, label, attack, norm, epsilon, predicted, correct, confidence, true_class_prob, linf, l2";
        String a = "SELECT " + columns + " FROM runtest.robustness.predictions WHERE run_id = '" + first + "'";
        String b = "SELECT " + columns + " FROM runtest.robustness.predictions WHERE run_id = '" + second + "'";
        assertEquals(0, spark().sql(a + " EXCEPT ALL " + b).count(), "rows of run 1 missing from run 2");
        assertEquals(0, spark().sql(b + " EXCEPT ALL " + a).count(), "rows of run 2 missing from run 1");
        assertEquals(2, spark().sql("SELECT * FROM runtest.robustness.runs WHERE status = 'succeeded'").count());
        for (String t : List.of("pending_predictions", "adversarial_examples")) {
            assertEquals(0, spark().sql("SELECT * FROM runtest.robustness." + t + " WHERE run_id = '" + second + "'").count(), t);
        }
    }

    @Test
    @Order(3)
    void sqlPrintsCsvOfEveryRun() {
        CommandResult r = CommandResult.run(Stream.concat(Stream.of("sql",
                "SELECT attack, epsilon, robust_accuracy FROM summary ORDER BY attack, epsilon", "--format", "csv"),
                Arrays.stream(settings())).toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("attack,epsilon,robust_accuracy", lines.get(0));
        assertEquals(1 + 2 * PAIRS, lines.size(), r.out());
        assertTrue(lines.get(1).startsWith("fgsm,0.0,"), lines.get(1));
        for (String line : lines.subList(1, lines.size())) {
            assertTrue(line.matches("[a-z_0-9]+,[0-9.]+,[0-9.E-]+"), line);
        }
    }

    @Test
    @Order(4)
    void sqlTableAndJsonFormatsAndQueryErrors() {
        CommandResult table = CommandResult.run(Stream.concat(Stream.of("sql", "SELECT run_id, status FROM runs"),
                Arrays.stream(settings())).toArray(String[]::new));
        assertEquals(0, table.exitCode(), table.err());
        assertTrue(table.out().contains("succeeded") && table.out().contains("(2 rows)"), table.out());
        CommandResult json = CommandResult.run(Stream.concat(Stream.of("sql",
                "SELECT count(*) AS n FROM predictions", "--format", "json"), Arrays.stream(settings())).toArray(String[]::new));
        assertEquals("{\"n\":" + 2L * EXAMPLES * PAIRS + "}", json.out().trim());
        CommandResult bad = CommandResult.run(Stream.concat(Stream.of("sql", "SELECT nope FROM summary"),
                Arrays.stream(settings())).toArray(String[]::new));
        assertEquals(5, bad.exitCode());
        assertTrue(bad.errors().startsWith("gibbon: error: query:") && bad.errors().lines().count() == 1, bad.err());
        assertEquals("", bad.out());
    }

    @Test
    @Order(5)
    void runsATorchScriptModel() throws Exception {
        CommandResult r = CommandResult.run(Stream.concat(Stream.of("run", "conf/torchscript.conf", "--set", "dataset.limit=64",
                "--set", "attacks.pgd.steps=2", "--set", "attacks.pgd_l2.steps=2"), Arrays.stream(settings()))
                .toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        String id = runId(r.out());
        Row run = spark().sql("SELECT model_sha256, model_uri FROM runtest.robustness.runs WHERE run_id = '" + id + "'").first();
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(
                java.nio.file.Files.readAllBytes(Path.of("common/src/test/resources/torchscript/fashion_bn_cnn.pt"))));
        assertEquals(sha, run.getString(0));
        assertTrue(run.getString(1).endsWith("fashion_bn_cnn.pt"));
        assertEquals(64L * PAIRS, spark().sql("SELECT * FROM runtest.robustness.predictions WHERE run_id = '" + id + "'").count());
    }

    @Test
    @Order(6)
    void transferOntoItselfEqualsTheWhiteBoxRun() {
        CommandResult r = CommandResult.run(Stream.concat(Stream.of("run", "conf/transfer.conf", "--set", "dataset.limit=64",
                "--set", "attacks.pgd.steps=3", "--set", "attacks.pgd_l2.enabled=false", "--set", "attacks.noise.enabled=false"),
                Arrays.stream(settings())).toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        String id = runId(r.out());
        String whiteBox = "SELECT example_id, attack, epsilon, predicted FROM runtest.robustness.predictions WHERE run_id = '"
                + id + "'";
        String selfTransfer = "SELECT example_id, attack, epsilon, predicted FROM runtest.robustness.transfer WHERE run_id = '"
                + id + "' AND source_model = 'model' AND target_model = 'model'";
        assertEquals(64L * 14, spark().sql(whiteBox).count());
        assertEquals(0, spark().sql(whiteBox + " EXCEPT ALL " + selfTransfer).count());
        assertEquals(0, spark().sql(selfTransfer + " EXCEPT ALL " + whiteBox).count());
        List<Row> matrix = spark().sql("SELECT source_model, target_model, robust_accuracy FROM"
                + " runtest.robustness.transfer_summary WHERE run_id = '" + id + "' AND attack = 'pgd' AND epsilon = 0.1"
                + " ORDER BY source_model, target_model").collectAsList();
        assertEquals(4, matrix.size());
        matrix.forEach(m -> System.out.printf("transfer pgd@0.1 %s -> %s: %.3f%n", m.getString(0), m.getString(1),
                m.getDouble(2)));
        Row shas = spark().sql("SELECT count(DISTINCT source_sha256), count(DISTINCT target_sha256) FROM"
                + " runtest.robustness.transfer WHERE run_id = '" + id + "'").first();
        assertEquals(2L, shas.getLong(0));
        assertEquals(2L, shas.getLong(1));
    }

    @Test
    @Order(7)
    void badInputExitsWithItsCodeAndTouchesNoTable() {
        List<Long> before = snapshots();
        CommandResult config = CommandResult.run(run("--set", "attacks.pgd.epsilons=[-0.1]"));
        assertEquals(2, config.exitCode());
        assertTrue(config.err().contains("attacks.pgd.epsilons") && config.err().lines().count() == 1, config.err());
        // A path the config names that does not exist is the config's fault (exit 2), found before loading anything.
        CommandResult data = CommandResult.run(run("--set", "dataset.images=/no/such/images.gz"));
        assertEquals(2, data.exitCode());
        assertTrue(data.err().contains("/no/such/images.gz") && data.err().lines().count() == 1, data.err());
        CommandResult model = CommandResult.run(run("--set", "model.uri=/no/such/model"));
        assertEquals(2, model.exitCode());
        assertTrue(model.err().contains("/no/such/model") && model.err().lines().count() == 1, model.err());
        CommandResult width = CommandResult.run(Stream.concat(Stream.of("run", "conf/torchscript.conf",
                "--set", "model.class-names=[a, b, c]"), Arrays.stream(settings())).toArray(String[]::new));
        assertEquals(4, width.exitCode());
        assertTrue(width.err().contains("expected (1, 3)") && width.err().lines().count() == 1, width.err());
        CommandResult shape = CommandResult.run(Stream.concat(Stream.of("run", "conf/torchscript.conf",
                "--set", "model.input-shape=[3, 32, 32]"), Arrays.stream(settings())).toArray(String[]::new));
        assertEquals(4, shape.exitCode());
        assertTrue(shape.err().contains("rejects inputs of shape [3, 32, 32]") && shape.err().lines().count() == 1,
                shape.err());
        CommandResult usage = CommandResult.run("run", "--bogus");
        assertEquals(2, usage.exitCode());
        assertEquals(1, usage.err().lines().count(), usage.err());
        assertEquals(before, snapshots());
    }

    @Test
    @Order(8)
    void olderTablesGainTheNewColumnsAndRowsCarryTargetsAndBreakers() {
        // A warehouse written before targets and ensembles existed: its tables lack the three columns.
        for (String t : List.of("predictions", "pending_predictions")) {
            for (String c : List.of("target", "target_hit", "broken_by")) {
                spark().sql("ALTER TABLE runtest.robustness." + t + " DROP COLUMN " + c);
            }
        }
        CommandResult r = CommandResult.run(Stream.concat(Stream.of("run", "conf/default.conf", "--set", "dataset.limit=64",
                "--set", "attacks.fgsm.enabled=false", "--set", "attacks.pgd.enabled=false", "--set",
                "attacks.pgd_l2.enabled=false", "--set", "attacks.noise.enabled=false",
                "--set", "attacks.pgd_rnd = { attack = pgd, target = random, steps = 2, epsilons = [0, 0.1] }",
                "--set", "attacks.autoattack = { steps = 3, target-classes = 2, queries = 20, epsilons = [0.05] }"),
                Arrays.stream(settings())).toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        String id = runId(r.out());
        String rows = "FROM runtest.robustness.predictions WHERE run_id = '" + id + "'";
        Row targets = spark().sql("SELECT count_if(target IS NOT NULL), count_if(target_hit IS NOT NULL),"
                + " count_if(target = label) " + rows + " AND attack = 'pgd_rnd' AND epsilon > 0").first();
        assertEquals(64L, targets.getLong(0));
        assertEquals(64L, targets.getLong(1));
        assertEquals(0L, targets.getLong(2));
        assertEquals(0L, spark().sql("SELECT * " + rows + " AND attack = 'pgd_rnd' AND epsilon = 0 AND target IS NOT NULL")
                .count());
        Row ensemble = spark().sql("SELECT count_if(broken_by IS NOT NULL), count_if(clean_correct AND NOT correct) " + rows
                + " AND attack = 'autoattack'").first();
        assertTrue(ensemble.getLong(1) > 0, "the ensemble fooled nothing");
        assertEquals(ensemble.getLong(1), ensemble.getLong(0), "every fooled example names its breaker");
        assertEquals(0L, spark().sql("SELECT * FROM runtest.robustness.predictions WHERE run_id = '" + runIds.get(0)
                + "' AND (target IS NOT NULL OR broken_by IS NOT NULL)").count(), "old rows read the new columns as null");
    }
}
