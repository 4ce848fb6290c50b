package gibbon.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Gibbon on a real cluster: a Spark standalone Master and two Workers in their own JVMs on
 * 127.0.0.1, a real HDFS (NameNode + DataNode) holding the dataset, the model and the Iceberg
 * warehouse, and drivers launched by spark-submit with the shaded jar. Then the faults: an executor
 * killed mid-attack, a driver killed mid-run and rerun, two runs committing at once, a run
 * interrupted after its first attack unit and resumed, and a driver run by a Worker (cluster deploy mode).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
    private static final Path WORK = Path.of("jobs/target/cluster-it");
    private static final Path JAR = Path.of("jobs/target/gibbon.jar");
    private static final int EXAMPLES = 400;
    /** fgsm and pgd, 7 epsilons each. */
    private static final int PAIRS = 14;

    private static MiniDFSCluster hdfs;
    private static StandaloneCluster cluster;
    private static String root;
    private static SparkSession reader;
    private static String cleanChecksum;

    @BeforeAll
    static void start() throws Exception {
        // A fresh folder: logs, HDFS and Worker folders of an earlier verify would collide with this one's.
        if (Files.exists(WORK)) {
            try (Stream<Path> old = Files.walk(WORK)) {
                for (Path p : old.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(WORK);
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, WORK.resolve("dfs").toAbsolutePath().toString());
        hdfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        hdfs.waitActive();
        root = "hdfs://127.0.0.1:" + hdfs.getNameNodePort();
        FileSystem fs = hdfs.getFileSystem();
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path("bundled/fashion-mnist"), new org.apache.hadoop.fs.Path("/data"));
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path("bundled/models/fashion-cnn"),
                new org.apache.hadoop.fs.Path("/models/fashion-cnn"));
        cluster = new StandaloneCluster(Path.of("jobs/target/spark-home"), WORK, 2);
        reader = SparkSession.builder().master("local[1]").appName("cluster-it-reader")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.catalog.gibbon", "org.apache.iceberg.spark.SparkCatalog")
                .config("spark.sql.catalog.gibbon.type", "hadoop")
                .config("spark.sql.catalog.gibbon.warehouse", root + "/warehouse")
                .config("spark.sql.catalog.gibbon.cache-enabled", "false").getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (reader != null) {
            reader.stop();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (hdfs != null) {
            hdfs.shutdown();
        }
    }

    private static List<String> args(String runId) {
        return List.of("run", "conf/default.conf", "--run-id", runId,
                "--set", "dataset.images=" + root + "/data/t10k-images-idx3-ubyte.gz",
                "--set", "dataset.labels=" + root + "/data/t10k-labels-idx1-ubyte.gz",
                "--set", "model.uri=" + root + "/models/fashion-cnn",
                "--set", "output.warehouse=" + root + "/warehouse",
                "--set", "dataset.limit=" + EXAMPLES, "--set", "dataset.partitions=8", "--set", "sweep.batch-size=50",
                "--set", "attacks.pgd.steps=10", "--set", "attacks.pgd_l2.enabled=false",
                "--set", "attacks.noise.enabled=false");
    }

    private static Process submit(String runId, String... sparkConf) throws IOException {
        return cluster.submit(JAR, WORK.resolve(runId + ".log"), List.of(sparkConf), args(runId));
    }

    private static void awaitSuccess(Process driver, String runId) throws Exception {
        assertTrue(driver.waitFor(6, TimeUnit.MINUTES), runId + " did not finish");
        String log = Files.readString(WORK.resolve(runId + ".log"));
        assertEquals(0, driver.exitValue(), runId + " failed:\n" + log);
        System.out.println("--- driver " + runId + "\n" + log.lines().filter(l -> !l.startsWith("attack: ") || l.contains("pairs"))
                .reduce("", (a, b) -> a + b + "\n"));
    }

    /** Row count and MD5 of the run's sorted predictions (run id excluded). */
    private static Row checksum(String runId) {
        return reader.sql("SELECT count(*) AS n, md5(concat_ws(',', sort_array(collect_list(concat_ws('|', example_id,"
                + " attack, epsilon, predicted, confidence, linf, l2, min_epsilon))))) AS md5 FROM"
                + " gibbon.robustness.predictions WHERE run_id = '" + runId + "'").first();
    }

    private static long count(String table, String runId) {
        reader.sql("REFRESH TABLE gibbon.robustness." + table);
        return reader.sql("SELECT * FROM gibbon.robustness." + table + " WHERE run_id = '" + runId + "'").count();
    }

    @Test
    @Order(1)
    void faultFreeRunOnTheCluster() throws Exception {
        long start = System.nanoTime();
        awaitSuccess(submit("clean"), "clean");
        Row c = checksum("clean");
        Row run = reader.sql("SELECT executors, spark_master, dataset_uri, status FROM gibbon.robustness.runs"
                + " WHERE run_id = 'clean'").first();
        System.out.printf("fault-free: %d rows, md5 %s, executors %d, master %s, %.0f s%n", c.getLong(0), c.getString(1),
                run.getInt(0), run.getString(1), (System.nanoTime() - start) / 1e9);
        assertEquals((long) EXAMPLES * PAIRS, c.getLong(0));
        assertEquals("succeeded", run.getString(3));
        assertTrue(run.getString(1).startsWith("spark://127.0.0.1:"));
        assertTrue(run.getString(2).startsWith("hdfs://"));
        assertEquals(2, run.getInt(0), "executors registered at the start of the run");
        cleanChecksum = c.getString(1);
    }

    @Test
    @Order(2)
    void executorLossLosesNothing() throws Exception {
        Path events = WORK.resolve("events").toAbsolutePath();
        Files.createDirectories(events);
        Process driver = submit("executor-loss", "spark.eventLog.enabled=true", "spark.eventLog.dir=" + events.toUri(),
                "spark.eventLog.compress=false", "spark.eventLog.rolling.enabled=false");
        // Once PGD, the long unit, reports progress, kill the first executor its log shows running a task.
        Matcher progress = StandaloneCluster.awaitMatch(WORK.resolve("executor-loss.log"),
                Pattern.compile("attack pgd: (\\d+)/(\\d+) examples"), 240);
        ProcessHandle victim = null;
        List<String> running = List.of();
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); victim == null;) {
            List<ProcessHandle> executors = cluster.executors();
            assertEquals(2, executors.size(), "executor JVMs while the attacks run");
            for (ProcessHandle e : executors) {
                running = cluster.runningTasks(e);
                if (!running.isEmpty()) {
                    victim = e;
                    break;
                }
            }
            if (victim == null) {
                assertTrue(System.nanoTime() < deadline, "no executor ran a task after " + progress.group());
                Thread.sleep(50);
            }
        }
        String victimId = executorId(victim);
        System.out.println("killing executor " + victimId + " (pid " + victim.pid() + ") running task " + running
                + ", after " + progress.group());
        victim.destroyForcibly();
        awaitSuccess(driver, "executor-loss");
        Row c = checksum("executor-loss");
        System.out.printf("executor loss: %d rows, md5 %s (fault-free %s)%n", c.getLong(0), c.getString(1), cleanChecksum);
        assertEquals((long) EXAMPLES * PAIRS, c.getLong(0));
        assertEquals(cleanChecksum, c.getString(1));

        // The fault landed: the driver's event log shows the executor removed, tasks it was running
        // lost with it, and each of them run again elsewhere to success.
        List<JsonNode> log = events(events);
        assertTrue(log.stream().anyMatch(e -> e.path("Event").asText().equals("SparkListenerExecutorRemoved")
                && e.path("Executor ID").asText().equals(victimId)), "executor " + victimId + " was never removed");
        List<JsonNode> ends = log.stream().filter(e -> e.path("Event").asText().equals("SparkListenerTaskEnd")).toList();
        List<JsonNode> lost = ends.stream().filter(e -> e.path("Task End Reason").path("Reason").asText()
                .equals("ExecutorLostFailure") && e.path("Task Info").path("Executor ID").asText().equals(victimId)).toList();
        assertFalse(lost.isEmpty(), "no task was running on executor " + victimId + " when it was killed");
        for (JsonNode l : lost) {
            JsonNode task = l.get("Task Info");
            // Task ids only grow; a rerun may come in a later attempt of the stage, so match the partition.
            assertTrue(ends.stream().anyMatch(e -> e.path("Stage ID").asInt() == l.path("Stage ID").asInt()
                    && e.path("Task End Reason").path("Reason").asText().equals("Success")
                    && e.path("Task Info").path("Partition ID").asInt() == task.path("Partition ID").asInt()
                    && e.path("Task Info").path("Task ID").asLong() > task.path("Task ID").asLong()
                    && !e.path("Task Info").path("Executor ID").asText().equals(victimId)),
                    "partition " + task.path("Partition ID") + " of stage " + l.path("Stage ID") + " was not rerun to success");
        }
        System.out.printf("executor %s lost %d running task(s), each rerun on another executor%n", victimId, lost.size());
    }

    /** The id Spark gave an executor JVM, from its command line. */
    private static String executorId(ProcessHandle executor) {
        List<String> args = List.of(executor.info().arguments().orElseThrow());
        return args.get(args.indexOf("--executor-id") + 1);
    }

    /** Every event of the Spark event logs under a folder, one JSON object a line. */
    private static List<JsonNode> events(Path folder) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                for (String line : Files.readAllLines(f)) {
                    out.add(json.readTree(line));
                }
            }
        }
        assertFalse(out.isEmpty(), "no event log under " + folder);
        return out;
    }

    @Test
    @Order(3)
    void driverLossLeavesNoRowsAndARerunCompletes() throws Exception {
        Process driver = submit("driver-loss");
        StandaloneCluster.awaitLine(WORK.resolve("driver-loss.log"), "pairs in", 180);
        // The running row is committed while the attack starts; kill the driver once it is there.
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); count("runs", "driver-loss") == 0;) {
            assertTrue(System.nanoTime() < deadline, "the run was never recorded as running");
            Thread.sleep(200);
        }
        Thread.sleep(3000);
        driver.descendants().forEach(ProcessHandle::destroyForcibly);
        driver.destroyForcibly();
        driver.waitFor(30, TimeUnit.SECONDS);
        long predictions = count("predictions", "driver-loss");
        long summary = count("summary", "driver-loss");
        String status = reader.sql("SELECT status FROM gibbon.robustness.runs WHERE run_id = 'driver-loss'").first()
                .getString(0);
        System.out.printf("driver killed: %d predictions rows, %d summary rows, runs.status %s%n", predictions, summary,
                status);
        assertEquals(0, predictions);
        assertEquals(0, summary);
        assertEquals("running", status);
        awaitSuccess(submit("driver-loss"), "driver-loss");
        Row c = checksum("driver-loss");
        System.out.printf("rerun of driver-loss: %d rows, md5 %s%n", c.getLong(0), c.getString(1));
        assertEquals((long) EXAMPLES * PAIRS, c.getLong(0));
        assertEquals(cleanChecksum, c.getString(1));
        assertEquals(1, reader.sql("SELECT * FROM gibbon.robustness.runs WHERE run_id = 'driver-loss'").count());
    }

    @Test
    @Order(4)
    void concurrentRunsBothCommit() throws Exception {
        Process a = submit("concurrent-a", "spark.cores.max=1");
        Process b = submit("concurrent-b", "spark.cores.max=1");
        awaitSuccess(a, "concurrent-a");
        awaitSuccess(b, "concurrent-b");
        for (String id : List.of("concurrent-a", "concurrent-b")) {
            Row c = checksum(id);
            System.out.printf("%s: %d rows, md5 %s%n", id, c.getLong(0), c.getString(1));
            assertEquals((long) EXAMPLES * PAIRS, c.getLong(0));
            assertEquals(cleanChecksum, c.getString(1));
        }
    }

    @Test
    @Order(5)
    void interruptedRunResumesWithoutRecomputingFinishedUnits() throws Exception {
        Process driver = submit("resume-me");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        long fgsmRows = 0;
        while (fgsmRows < (long) EXAMPLES * PAIRS / 2 && System.nanoTime() < deadline) {
            Thread.sleep(500);
            if (reader.catalog().tableExists("gibbon.robustness.pending_predictions")) {
                fgsmRows = reader.sql("SELECT count(*) FROM gibbon.robustness.pending_predictions WHERE run_id = 'resume-me'"
                        + " AND attack = 'fgsm'").first().getLong(0);
            }
        }
        driver.descendants().forEach(ProcessHandle::destroyForcibly);
        driver.destroyForcibly();
        driver.waitFor(30, TimeUnit.SECONDS);
        assertEquals((long) EXAMPLES * PAIRS / 2, fgsmRows, "the fgsm unit was not committed before the kill");
        assertEquals(0, count("predictions", "resume-me"));
        Path firstLog = WORK.resolve("resume-me-interrupted.log");
        Files.move(WORK.resolve("resume-me.log"), firstLog);
        Process resumed = cluster.submit(JAR, WORK.resolve("resume-me.log"), List.of(),
                Stream.concat(args("resume-me").stream().filter(a -> !a.equals("--run-id") && !a.equals("resume-me")),
                        Stream.of("--resume", "resume-me")).toList());
        awaitSuccess(resumed, "resume-me");
        String log = Files.readString(WORK.resolve("resume-me.log"));
        assertTrue(log.contains("attack fgsm: finished by an earlier attempt, kept"), log);
        assertFalse(log.contains("attack fgsm: 0/"), "fgsm was recomputed:\n" + log);
        Row c = checksum("resume-me");
        System.out.printf("resumed run: fgsm unit kept, %d rows, md5 %s%n", c.getLong(0), c.getString(1));
        assertEquals((long) EXAMPLES * PAIRS, c.getLong(0));
        assertEquals(cleanChecksum, c.getString(1));
        assertEquals(0, count("pending_predictions", "resume-me"));
    }

    @Test
    @Order(6)
    void clusterDeployModeRunsTheDriverOnAWorker() throws Exception {
        // The driver runs in a Worker's folder: the config is named by a path every node can read, since a
        // standalone cluster does not place --files in the driver's working directory.
        List<String> args = new ArrayList<>(args("cluster-mode"));
        args.set(1, Path.of("conf/default.conf").toAbsolutePath().toString());
        Path log = WORK.resolve("cluster-mode.log");
        Process submit = cluster.submit(JAR, log, "cluster", List.of(), args);
        assertTrue(submit.waitFor(6, TimeUnit.MINUTES), "cluster-mode did not finish");
        String submitLog = Files.readString(log);
        Matcher id = Pattern.compile("Driver successfully submitted as (driver-\\S+)").matcher(submitLog);
        assertTrue(id.find(), submitLog);
        Path folder = cluster.driverFolder(id.group(1));
        String stdout = Files.readString(folder.resolve("stdout"));
        // spark-submit exits 0 whatever the driver's final state: the state is in its log.
        assertTrue(submitLog.contains("State of driver " + id.group(1) + " is FINISHED"), submitLog
                + "\n--- driver stdout\n" + stdout + "\n--- driver stderr\n" + Files.readString(folder.resolve("stderr")));
        assertTrue(stdout.contains("summary of run cluster-mode"), stdout);
        Row c = checksum("cluster-mode");
        System.out.printf("cluster deploy mode: driver %s in %s, %d rows, md5 %s%n", id.group(1), folder, c.getLong(0),
                c.getString(1));
        assertEquals((long) EXAMPLES * PAIRS, c.getLong(0));
        assertEquals(cleanChecksum, c.getString(1));
    }
}
