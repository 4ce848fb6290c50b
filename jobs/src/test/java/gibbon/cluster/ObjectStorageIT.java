package gibbon.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import gibbon.data.Example;
import gibbon.data.IdxDataset;
import gibbon.model.ModelStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Datasets, models and the warehouse on {@code s3a://}: a real S3 server (S3Proxy in its own JVM on
 * 127.0.0.1, checking the signature of every request) holds the bundled IDX files and model; the
 * {@code ./gibbon} launcher runs an experiment that reads them through s3a and writes its Iceberg
 * tables to an s3a warehouse, and {@code gibbon sql} reads the tables back. The secret key reaches
 * S3 (a wrong one is refused) but never the output, the log or {@code runs.config}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ObjectStorageIT {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path WORK = ROOT.resolve("jobs/target/object-storage-it");
    private static final Path S3PROXY = ROOT.resolve("jobs/target/s3proxy/s3proxy.jar");
    private static final String BUCKET = "gibbon";
    private static final String ACCESS_KEY = "AKIAGIBBON" + Long.toHexString(System.nanoTime()).toUpperCase();
    /** Fresh per run, so that finding it anywhere can only mean it leaked from this test. */
    private static final String SECRET = "gibbonSecret" + UUID.randomUUID().toString().replace("-", "");
    private static final int EXAMPLES = 200;
    /** fgsm at 4 epsilons and pgd at 3, as s3.conf sets them. */
    private static final int PAIRS = 7;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Process server;
    private static String endpoint;
    private static FileSystem s3;

    @BeforeAll
    static void startS3AndUpload() throws Exception {
        deleteRecursively(WORK);
        Path data = WORK.resolve("s3-data");
        // S3Proxy's filesystem store: a bucket is a folder of its base directory.
        Files.createDirectories(data.resolve(BUCKET));
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        endpoint = "http://127.0.0.1:" + port;
        Path properties = WORK.resolve("s3proxy.properties");
        Files.writeString(properties, String.join("\n", "s3proxy.endpoint=" + endpoint,
                "s3proxy.authorization=aws-v2-or-v4", "s3proxy.identity=" + ACCESS_KEY, "s3proxy.credential=" + SECRET,
                "jclouds.provider=filesystem-nio2", "jclouds.identity=" + ACCESS_KEY, "jclouds.credential=" + SECRET,
                "jclouds.filesystem.basedir=" + data, ""));
        long start = System.nanoTime();
        server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", S3PROXY.toString(), "--properties",
                properties.toString()).redirectErrorStream(true).redirectOutput(WORK.resolve("s3proxy.log").toFile()).start();
        awaitPort(port);
        System.out.printf("S3Proxy listening on %s after %.1f s%n", endpoint, (System.nanoTime() - start) / 1e9);

        start = System.nanoTime();
        Configuration conf = new Configuration();
        s3Settings().forEach(conf::set);
        s3 = FileSystem.newInstance(URI.create("s3a://" + BUCKET + "/"), conf);
        s3.copyFromLocalFile(new org.apache.hadoop.fs.Path(ROOT.resolve("bundled/fashion-mnist").toUri()),
                new org.apache.hadoop.fs.Path("s3a://" + BUCKET + "/data"));
        s3.copyFromLocalFile(new org.apache.hadoop.fs.Path(ROOT.resolve("bundled/models/fashion-cnn").toUri()),
                new org.apache.hadoop.fs.Path("s3a://" + BUCKET + "/models/fashion-cnn"));
        System.out.printf("uploaded the IDX files and the model through s3a in %.1f s: %s%n",
                (System.nanoTime() - start) / 1e9, list(""));

        Files.writeString(WORK.resolve("s3.conf"), String.join("\n",
                "dataset {",
                "  images = \"s3a://" + BUCKET + "/data/t10k-images-idx3-ubyte.gz\"",
                "  labels = \"s3a://" + BUCKET + "/data/t10k-labels-idx1-ubyte.gz\"",
                "  limit = " + EXAMPLES,
                "}",
                "model.uri = \"s3a://" + BUCKET + "/models/fashion-cnn\"",
                "attacks {",
                "  fgsm { epsilons = [0, 0.05, 0.1, 0.2] }",
                "  pgd { epsilons = [0, 0.05, 0.1], steps = 5 }",
                "}",
                "spark.master = \"local[2]\"",
                "output.warehouse = \"s3a://" + BUCKET + "/warehouse\"",
                "hadoop {",
                s3Settings().entrySet().stream().map(e -> "  \"" + e.getKey() + "\" = \"" + e.getValue() + "\"")
                        .reduce((a, b) -> a + "\n" + b).orElseThrow(),
                "}", ""));
    }

    /** What s3a needs for a local S3 server: its endpoint, path-style URLs, plain HTTP, a region, the keys. */
    private static Map<String, String> s3Settings() {
        return Map.of("fs.s3a.endpoint", endpoint, "fs.s3a.path.style.access", "true",
                "fs.s3a.connection.ssl.enabled", "false", "fs.s3a.endpoint.region", "us-east-1",
                "fs.s3a.access.key", ACCESS_KEY, "fs.s3a.secret.key", SECRET);
    }

    @AfterAll
    static void stop() throws IOException {
        if (s3 != null) {
            s3.close();
        }
        if (server != null) {
            server.destroy();
            try {
                if (!server.waitFor(10, TimeUnit.SECONDS)) {
                    server.destroyForcibly();
                }
            } catch (InterruptedException e) {
                server.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    @Order(1)
    void runReadsAndWritesS3AndSqlReadsTheTablesBack() throws Exception {
        long start = System.nanoTime();
        Result run = gibbon("run", WORK.resolve("s3.conf").toString(), "--run-id", "s3-run");
        assertEquals(0, run.exit, run.toString());
        assertTrue(run.out.contains("dataset: s3a://" + BUCKET + "/data/t10k-images-idx3-ubyte.gz, " + EXAMPLES + " of 10000"),
                run.out);
        assertTrue(run.out.contains("model: s3a://" + BUCKET + "/models/fashion-cnn ("), run.out);
        System.out.printf("gibbon run on s3a: %.0f s%n", (System.nanoTime() - start) / 1e9);

        Result sql = gibbon("sql", "--config", WORK.resolve("s3.conf").toString(), "--format", "json",
                "SELECT r.status, r.dataset_uri, r.model_uri, r.model_sha256, r.config,"
                        + " (SELECT count(*) FROM predictions p WHERE p.run_id = r.run_id) AS predictions,"
                        + " (SELECT count(DISTINCT example_id) FROM predictions p WHERE p.run_id = r.run_id) AS examples,"
                        + " (SELECT count(*) FROM summary s WHERE s.run_id = r.run_id) AS summary,"
                        + " (SELECT concat_ws(',', transform(array_sort(collect_list(struct(example_id, label))),"
                        + " x -> cast(x.label AS STRING))) FROM predictions p WHERE p.run_id = r.run_id"
                        + " AND attack = 'fgsm' AND epsilon = 0) AS labels"
                        + " FROM runs r WHERE r.run_id = 's3-run'");
        assertEquals(0, sql.exit, sql.toString());
        List<String> lines = sql.out.lines().toList();
        assertEquals(1, lines.size(), sql.out);
        JsonNode row = JSON.readTree(lines.get(0));
        System.out.printf("gibbon sql on the s3a warehouse: status %s, %d predictions rows (%d examples x %d pairs),"
                + " %d summary rows, model sha256 %s%nruns.config: %s%n", row.get("status").asText(),
                row.get("predictions").asLong(), row.get("examples").asLong(), PAIRS, row.get("summary").asLong(),
                row.get("model_sha256").asText(), row.get("config").asText());
        assertEquals("succeeded", row.get("status").asText());
        assertEquals((long) EXAMPLES * PAIRS, row.get("predictions").asLong());
        assertEquals(EXAMPLES, row.get("examples").asLong());
        assertEquals(PAIRS, row.get("summary").asLong());
        assertEquals("s3a://" + BUCKET + "/data/t10k-images-idx3-ubyte.gz", row.get("dataset_uri").asText());
        assertEquals("s3a://" + BUCKET + "/models/fashion-cnn", row.get("model_uri").asText());
        // The bytes that came through s3a are the bundled ones: the model's parameters and the labels.
        assertEquals(ModelStore.sha256(ROOT.resolve("bundled/models/fashion-cnn/fashion-cnn-0004.params")),
                row.get("model_sha256").asText());
        assertEquals(localLabels(), row.get("labels").asText());

        // The tables live in the bucket: Iceberg metadata and Parquet data files under the warehouse.
        Map<String, Long> predictions = list("warehouse/robustness/predictions");
        assertTrue(predictions.keySet().stream().anyMatch(f -> f.contains("/metadata/") && f.endsWith(".metadata.json")),
                predictions.toString());
        assertTrue(predictions.keySet().stream().anyMatch(f -> f.contains("/data/") && f.endsWith(".parquet")),
                predictions.toString());
        System.out.printf("warehouse objects in the bucket: %d, of which predictions: %d%n", list("warehouse").size(),
                predictions.size());

        // The credentials reached S3 but are shown nowhere: not in runs.config, the output or the log.
        JsonNode hadoop = JSON.readTree(row.get("config").asText()).get("hadoop");
        assertEquals("<redacted>", hadoop.get("fs.s3a.secret.key").asText());
        assertEquals("<redacted>", hadoop.get("fs.s3a.access.key").asText());
        assertEquals(endpoint, hadoop.get("fs.s3a.endpoint").asText(), "settings that are no secret stay");
        for (Result r : List.of(run, sql)) {
            assertNoCredentials(r);
        }
    }

    @Test
    @Order(2)
    void credentialsInAnS3aUriAreAOneLineConfigErrorThatDoesNotShowThem() throws Exception {
        Result r = gibbon("run", WORK.resolve("s3.conf").toString(),
                "--set", "model.uri=s3a://" + ACCESS_KEY + ":" + SECRET + "@" + BUCKET + "/models/fashion-cnn");
        System.out.println("credentials in model.uri: exit " + r.exit + ", " + r.err.strip());
        assertEquals(2, r.exit, r.toString());
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.startsWith("gibbon: error: config key 'model.uri': s3a://<redacted>@" + BUCKET
                + "/models/fashion-cnn: credentials do not belong in a location"), r.err);
        assertNoCredentials(r);
    }

    @Test
    @Order(3)
    void aWrongSecretIsRefusedByTheServerAndNamedWithoutShowingIt() throws Exception {
        String wrong = "wrong" + SECRET;
        Result r = gibbon("run", WORK.resolve("s3.conf").toString(), "--set", "hadoop.\"fs.s3a.secret.key\"=" + wrong);
        System.out.println("wrong secret key: exit " + r.exit + ", " + r.err.strip());
        assertEquals(2, r.exit, r.toString());
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.startsWith("gibbon: error: config key 'dataset.images': s3a://" + BUCKET
                + "/data/t10k-images-idx3-ubyte.gz: access denied ("), r.err);
        assertFalse(r.out.contains(wrong) || r.err.contains(wrong), r.toString());
        assertNoCredentials(r);
    }

    @Test
    @Order(4)
    void aSparkWithoutHadoopAwsSaysWhatIsMissing() throws Exception {
        Result r = sparkSubmit(List.of(), "run", WORK.resolve("s3.conf").toString());
        System.out.println("spark-submit on a Spark without hadoop-aws: exit " + r.exit + ", " + r.err.strip());
        assertEquals(2, r.exit, r.toString());
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.startsWith("gibbon: error: config key 'dataset.images': s3a://" + BUCKET
                + "/data/t10k-images-idx3-ubyte.gz: no file system for scheme 's3a' (ClassNotFoundException: Class"
                + " org.apache.hadoop.fs.s3a.S3AFileSystem not found): s3a needs hadoop-aws"), r.err);
        assertNoCredentials(r);
    }

    @Test
    @Order(5)
    void theS3aJarsGivenToSparkSubmitReadTheWarehouse() throws Exception {
        List<Path> jars;
        try (var files = Files.list(ROOT.resolve("jobs/target/s3a-jars"))) {
            jars = files.sorted().toList();
        }
        Result r = sparkSubmit(jars, "sql", "--config", WORK.resolve("s3.conf").toString(), "--format", "csv",
                "SELECT count(*) AS n FROM predictions WHERE run_id = 's3-run'");
        System.out.printf("spark-submit --jars (%d s3a jars): exit %d, %s%n", jars.size(), r.exit, r.out.strip());
        assertEquals(0, r.exit, r.toString());
        assertEquals(List.of("n", String.valueOf(EXAMPLES * PAIRS)), r.out.lines().toList());
        assertNoCredentials(r);
    }

    private static void assertNoCredentials(Result r) {
        for (String secret : List.of(SECRET, ACCESS_KEY)) {
            assertFalse(r.out.contains(secret), "stdout shows a credential:\n" + r.out);
            assertFalse(r.err.contains(secret), "stderr (the log) shows a credential:\n" + r.err);
        }
    }

    /** The labels of the first examples of the local IDX file, in id order. */
    private static String localLabels() {
        IdxDataset local = IdxDataset.open("bundled/fashion-mnist/t10k-images-idx3-ubyte.gz",
                "bundled/fashion-mnist/t10k-labels-idx1-ubyte.gz", Map.of());
        List<String> labels = new ArrayList<>();
        for (Iterator<Example> it = local.read(0, EXAMPLES); it.hasNext();) {
            labels.add(String.valueOf(it.next().label()));
        }
        return String.join(",", labels);
    }

    /** Every object under a prefix of the bucket, with its size in bytes. */
    private static Map<String, Long> list(String prefix) throws IOException {
        Map<String, Long> out = new TreeMap<>();
        RemoteIterator<LocatedFileStatus> files = s3.listFiles(new org.apache.hadoop.fs.Path("s3a://" + BUCKET + "/" + prefix),
                true);
        while (files.hasNext()) {
            LocatedFileStatus f = files.next();
            out.put(f.getPath().toString(), f.getLen());
        }
        return out;
    }

    private record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** Runs the real launcher on the jar Maven just packaged. */
    private static Result gibbon(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(ROOT.resolve("gibbon").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("GIBBON_SKIP_BUILD", "1");
        return run(builder, args);
    }

    /**
     * spark-submit of the shaded jar in local mode on a Spark as its distribution ships it (the jars
     * of {@code jobs/target/spark-home}: no hadoop-aws), with {@code jars} added by {@code --jars}.
     */
    private static Result sparkSubmit(List<Path> jars, String... args) throws Exception {
        Path sparkHome = ROOT.resolve("jobs/target/spark-home");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g"));
        command.addAll(StandaloneCluster.JAVA17_OPENS);
        command.addAll(List.of("-Dlog4j2.configurationFile=" + ROOT.resolve("conf/log4j2.properties"), "-cp",
                sparkHome.resolve("jars") + "/*", "org.apache.spark.deploy.SparkSubmit", "--master", "local[2]"));
        if (!jars.isEmpty()) {
            command.addAll(List.of("--jars", String.join(",", jars.stream().map(Path::toString).toList())));
        }
        command.addAll(List.of("--class", "gibbon.cli.GibbonCommand", ROOT.resolve("jobs/target/gibbon.jar").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("SPARK_HOME", sparkHome.toString());
        builder.environment().put("SPARK_SCALA_VERSION", "2.13");
        builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        return run(builder, args);
    }

    private static Result run(ProcessBuilder builder, String... args) throws Exception {
        String name = args[0] + "-" + System.nanoTime();
        Path out = WORK.resolve(name + ".out");
        Path err = WORK.resolve(name + ".err");
        Process p = builder.directory(ROOT.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("gibbon " + String.join(" ", args) + " did not finish in 5 minutes");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err,
                StandardCharsets.UTF_8));
    }

    private static void awaitPort(int port) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new IllegalStateException("S3Proxy exited with " + server.exitValue() + ":\n"
                        + Files.readString(WORK.resolve("s3proxy.log")));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("S3Proxy did not listen on " + port + " within 90 s:\n"
                + Files.readString(WORK.resolve("s3proxy.log")));
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
