package gibbon.bench;

import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import gibbon.data.Example;
import gibbon.data.IdxDataset;
import gibbon.jobs.AnalystViews;
import gibbon.jobs.GibbonSpark;
import gibbon.jobs.ResultTables;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;
import org.apache.spark.sql.execution.adaptive.QueryStageExec;
import org.apache.spark.sql.execution.datasources.v2.BatchScanExec;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The {@code million} part of {@code gibbon bench}: FGSM over the default epsilon list on
 * {@code local[2]} for N/10 and N examples of one Parquet dataset, each {@code gibbon run} a child
 * process whose memory is sampled, then the analyst queries on the tables it wrote.
 *
 * <p>The dataset is the full Fashion-MNIST (Debian's {@code dataset-fashion-mnist}: the 60 000
 * training and then the 10 000 test images, 70 000 in all) grown by label-preserving
 * augmentation: example {@code i} is source image {@code i mod 70000} in variant
 * {@code i / 70000}. Variant 0 is the image itself; variants 1 to 8 shift it by one pixel towards
 * the 8 neighbours (N, NE, E, SE, S, SW, W, NW; the uncovered row and column are black, the
 * background of every Fashion-MNIST image); variants 9 to 17 are variants 0 to 8 of the image
 * mirrored left to right (garments and shoes stay what they are in a mirror). So ids 0 to N - 1
 * are distinct, with the label of their source, up to 18 x 70 000 = 1 260 000 examples. Images
 * are stored as 8-bit greyscale PNG (column {@code image}, with {@code id} and {@code label}),
 * which decode to exactly the source pixels; the dataset is written once and reused while its
 * {@code _gibbon_spec} file matches.
 *
 * <p>In local mode the driver and the executor are one JVM: its peak RSS is both.
 */
final class MillionBench {
    static final String TRAIN = "/usr/share/datasets/fashion-mnist/train-";
    static final String TEST = "/usr/share/datasets/fashion-mnist/t10k-";
    static final int SOURCES = 70_000;
    static final int VARIANTS = 18;
    /** The executor heap of the runs, committed up front as an executor's is bounded. */
    static final String HEAP = "-Xms2g -Xmx2g -XX:+AlwaysPreTouch";
    static final String SPEC = "fashion-mnist train+t10k, PNG, id i = source i mod 70000 in variant i / 70000"
            + " (0 itself, 1-8 one-pixel shifts N NE E SE S SW W NW, 9-17 the same mirrored)";

    static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("label", DataTypes.IntegerType, false)
            .add("image", DataTypes.BinaryType, false);

    private final PrintStream out;

    MillionBench(PrintStream out) {
        this.out = out;
    }

    /** One measured run and the queries after it. */
    record Measured(long examples, double wallSeconds, double runSeconds, double attackSeconds, long peakRssKb,
            List<Long> rssAtQuartersKb, long predictionRows, long dataFiles, long minFileBytes, long maxFileBytes, long totalFileBytes,
            Map<String, Query> queries) {}

    /** A query's first and best-of-3 time, and the data files its Iceberg scans read and considered. */
    record Query(double firstSeconds, double bestSeconds, long filesRead, long filesConsidered) {}

    void measure(long n, Path dataDir) throws Exception {
        if (n > (long) SOURCES * VARIANTS) {
            throw new IllegalArgumentException("--million " + n + ": the augmented dataset has at most "
                    + (long) SOURCES * VARIANTS + " examples");
        }
        out.printf("10. a million examples: FGSM over the default epsilon list, local[2] with two copies of the model (sweep.model-replicas = 2), heap %s, on %,d and %,d examples"
                + " of an augmented Fashion-MNIST in Parquet; one child JVM per run (in local mode the driver and the"
                + " executor are that one JVM)%n", HEAP, n / 10, n);
        long start = System.nanoTime();
        boolean built = dataset(n, dataDir);
        out.printf("   dataset: %s (%s, %.0f s)%n   %s%n", dataDir, built ? "written" : "reused", (System.nanoTime() - start) / 1e9,
                SPEC);
        List<Measured> results = new ArrayList<>();
        for (long size : new long[] {n / 10, n}) {
            Path warehouse = Files.createTempDirectory("gibbon-million-warehouse");
            Measured m = run(size, dataDir, warehouse);
            out.printf("   %,d examples: attack stage %.0f s, peak RSS %,d MB, %,d predictions rows in %d files%n", size,
                    m.attackSeconds(), m.peakRssKb() / 1024, m.predictionRows(), m.dataFiles());
            results.add(m);
        }
        print(results);
    }

    /** Writes the dataset unless the folder holds this spec already; true if it wrote it. */
    static boolean dataset(long n, Path dir) throws IOException {
        Path spec = dir.resolve("_gibbon_spec");
        String expected = SPEC + ", " + n + " examples\n";
        if (Files.exists(spec) && Files.readString(spec).equals(expected)) {
            return false;
        }
        SparkSession spark = SparkSession.builder().master("local[2]").appName("gibbon-million-dataset")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        try {
            int files = (int) Math.max(1, (n + 49_999) / 50_000);
            spark.range(0, n, 1, files).mapPartitions(new Augment(), Encoders.row(SCHEMA))
                    .write().mode("overwrite").parquet(table(dir).toString());
        } finally {
            spark.stop();
        }
        Files.writeString(spec, expected);
        return true;
    }

    /** The dataset folder the runs read: the Parquet files under {@code data}. */
    static Path table(Path dir) {
        return dir.resolve("data");
    }

    /** Example ids to (id, label, PNG) rows; each task reads the 70 000 sources once. */
    static final class Augment implements MapPartitionsFunction<Long, Row> {
        @Override
        public Iterator<Row> call(Iterator<Long> ids) {
            List<Example> sources = sources();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return ids.hasNext();
                }

                @Override
                public Row next() {
                    long id = ids.next();
                    Example source = sources.get((int) (id % SOURCES));
                    byte[] pixels = variant(source.pixels(), (int) (id / SOURCES));
                    return RowFactory.create(id, source.label(), png(pixels));
                }
            };
        }
    }

    static List<Example> sources() {
        List<Example> all = new ArrayList<>(SOURCES);
        for (String prefix : new String[] {TRAIN, TEST}) {
            IdxDataset d = IdxDataset.open(prefix + "images-idx3-ubyte.gz", prefix + "labels-idx1-ubyte.gz", Map.of());
            d.read(0, d.size()).forEachRemaining(all::add);
        }
        return all;
    }

    /** Directions of the one-pixel shifts of variants 1 to 8: (rows down, columns right). */
    private static final int[][] SHIFTS = {{0, 0}, {-1, 0}, {-1, 1}, {0, 1}, {1, 1}, {1, 0}, {1, -1}, {0, -1}, {-1, -1}};

    /** A 28 x 28 image in one of the 18 variants (see the class comment). */
    static byte[] variant(byte[] pixels, int variant) {
        boolean mirror = variant >= SHIFTS.length;
        int[] shift = SHIFTS[variant % SHIFTS.length];
        byte[] out = new byte[28 * 28];
        for (int r = 0; r < 28; r++) {
            for (int c = 0; c < 28; c++) {
                int sr = r - shift[0];
                int sc = c - shift[1];
                if (sr >= 0 && sr < 28 && sc >= 0 && sc < 28) {
                    out[r * 28 + c] = pixels[sr * 28 + (mirror ? 27 - sc : sc)];
                }
            }
        }
        return out;
    }

    static byte[] png(byte[] pixels) {
        BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setDataElements(0, 0, 28, 28, pixels);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        try {
            ImageIO.write(image, "png", bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private Measured run(long n, Path dataDir, Path warehouse) throws Exception {
        Path log = warehouse.resolveSibling(warehouse.getFileName() + ".log");
        List<String> command = List.of("./gibbon", "run", "--set", "dataset.format=parquet", "--set",
                "dataset.path=" + table(dataDir), "--set", "dataset.limit=" + n, "--set", "output.warehouse=" + warehouse,
                "--set", "spark.master=\"local[2]\"", "--set", "sweep.model-replicas=2", "--set", "attacks.pgd.enabled=false", "--set",
                "attacks.pgd_l2.enabled=false", "--set", "attacks.noise.enabled=false");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("GIBBON_JAVA_OPTS", HEAP);
        long start = System.nanoTime();
        Process p = builder.start();
        Path status = Path.of("/proc", String.valueOf(p.pid()), "status");
        List<double[]> samples = new ArrayList<>();
        long peak = 0;
        while (!p.waitFor(1, TimeUnit.SECONDS)) {
            try {
                long rss = 0;
                for (String line : Files.readAllLines(status)) {
                    if (line.startsWith("VmHWM:")) {
                        peak = Math.max(peak, kb(line));
                    } else if (line.startsWith("VmRSS:")) {
                        rss = kb(line);
                    }
                }
                if (rss > 0) {
                    // An exited process that is not reaped yet has no VmRSS line.
                    samples.add(new double[] {(System.nanoTime() - start) / 1e9, rss});
                }
            } catch (IOException e) {
                // The process ended between the check and the read.
            }
        }
        double wall = (System.nanoTime() - start) / 1e9;
        String output = Files.readString(log, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed with exit " + p.exitValue() + ", see " + log);
        }
        Matcher summary = Pattern.compile("summary of run (\\S+) \\((\\d+) examples, ([0-9.]+) s\\)").matcher(output);
        if (!summary.find()) {
            throw new IllegalStateException("no summary line in " + log);
        }
        String runId = summary.group(1);
        // The attack stage's own clock: the last progress line's elapsed time (m:ss or h:mm:ss).
        Matcher progress = Pattern.compile("attack \\S+: \\d+/\\d+ examples .*elapsed ((\\d+):)?(\\d+):(\\d+)")
                .matcher(output);
        double attack = Double.NaN;
        while (progress.find()) {
            attack = (progress.group(2) == null ? 0 : 3600 * Integer.parseInt(progress.group(2)))
                    + 60 * Integer.parseInt(progress.group(3)) + Integer.parseInt(progress.group(4));
        }
        List<Long> quarters = new ArrayList<>();
        for (double q : new double[] {0.25, 0.5, 0.75, 1.0}) {
            long at = 0;
            for (double[] s : samples) {
                if (s[0] <= q * wall) {
                    at = (long) s[1];
                }
            }
            quarters.add(at);
        }
        out.printf("   %,d examples: %.0f s, run %s (log %s)%n", n, wall, runId, log);
        return queries(n, wall, Double.parseDouble(summary.group(3)), attack, peak, quarters, warehouse, runId);
    }

    private static long kb(String statusLine) {
        return Long.parseLong(statusLine.replaceAll("[^0-9]", ""));
    }

    private Measured queries(long n, double wall, double runSeconds, double attack, long peak, List<Long> quarters,
            Path warehouse, String runId) {
        ExperimentConfig config = config(warehouse);
        SparkSession spark = GibbonSpark.session(config);
        try {
            ResultTables tables = ResultTables.open(spark, config);
            Row files = files(spark, tables, runId);
            return new Measured(n, wall, runSeconds, attack, peak, quarters, files.getLong(4), files.getLong(0),
                    files.getLong(1), files.getLong(2), files.getLong(3), timeQueries(spark, n, runId));
        } finally {
            GibbonSpark.stopIfRunning();
        }
    }

    private static ExperimentConfig config(Path warehouse) {
        return ConfigLoader.load(Path.of("conf", "default.conf"), List.of("output.warehouse=" + warehouse,
                "spark.master=\"local[2]\""));
    }

    /** A run's predictions files: count, min, max and total bytes, rows. */
    private static Row files(SparkSession spark, ResultTables tables, String runId) {
        return spark.sql("SELECT count(*), min(file_size_in_bytes), max(file_size_in_bytes), sum(file_size_in_bytes),"
                + " sum(record_count) FROM " + tables.name(ResultTables.PREDICTIONS) + ".files WHERE partition.run_id = '"
                + runId + "'").first();
    }

    /** The analyst queries, each timed: the views, the worst examples, one example, one (attack, epsilon). */
    private static Map<String, Query> timeQueries(SparkSession spark, long n, String runId) {
        AnalystViews.register(spark, null);
        Map<String, String> sql = new LinkedHashMap<>();
        sql.put("robustness_curve", "SELECT * FROM robustness_curve");
        sql.put("class_robustness", "SELECT * FROM class_robustness");
        sql.put("leaderboard", "SELECT * FROM leaderboard");
        sql.put("worst 10 examples", "SELECT example_id, label, min(min_epsilon) AS weakest, max(confidence)"
                + " FROM predictions WHERE run_id = '" + runId + "' AND epsilon > 0 AND NOT correct"
                + " GROUP BY example_id, label ORDER BY weakest, example_id LIMIT 10");
        sql.put("one example", "SELECT * FROM predictions WHERE example_id = " + (n / 2 + 7));
        sql.put("one (attack, eps)", "SELECT label, count(*), avg(CAST(correct AS DOUBLE)) FROM predictions"
                + " WHERE attack = 'fgsm' AND epsilon = 0.1 GROUP BY label");
        Map<String, Query> times = new LinkedHashMap<>();
        sql.forEach((name, query) -> times.put(name, time(spark, query)));
        return times;
    }

    /**
     * The tables of a run of {@code n} examples without the attack: synthetic FGSM rows (the 7
     * default budgets, robust accuracy falling with epsilon, confidences spread as a model's are)
     * computed by as many tasks as the job would use, in its round-robin order, published by the
     * job's own write ({@link ResultTables#replaceRun}), with a {@code runs} row and the summary.
     */
    void synthetic(long n) throws IOException {
        Path warehouse = Files.createTempDirectory("gibbon-million-synthetic");
        ExperimentConfig config = config(warehouse);
        SparkSession spark = GibbonSpark.session(config);
        try {
            ResultTables tables = ResultTables.open(spark, config);
            String runId = "synthetic-" + n;
            int partitions = (int) Math.max(4, (n + 4095) / 4096);
            String u = "((pmod(hash(id, 1), 1000) + 0.5) / 1000)";
            var rows = spark.range(0, n).repartition(partitions).selectExpr("id",
                    "explode(array(0D, 0.01D, 0.02D, 0.05D, 0.1D, 0.2D, 0.3D)) AS epsilon").selectExpr(
                    "'" + runId + "' AS run_id", "id AS example_id", "CAST(pmod(hash(id), 10) AS INT) AS label",
                    "'fgsm' AS attack", "'linf' AS norm", "epsilon",
                    u + " > 0.1 + 3 * epsilon AS correct", "CAST(pmod(hash(id, epsilon, 2), 9) AS INT) AS other",
                    "CAST(0.5 + pmod(hash(id, epsilon, 3), 500000) / 1000000.0 AS FLOAT) AS confidence",
                    "CAST(pmod(hash(id, epsilon, 4), 1000000) / 1000000.0 AS FLOAT) AS true_class_prob",
                    "CAST(epsilon AS FLOAT) AS linf",
                    "CAST(epsilon * (10 + pmod(hash(id, 5), 1800) / 100.0) AS FLOAT) AS l2",
                    u + " > 0.1 AS clean_correct",
                    "CASE WHEN " + u + " <= 0.1 THEN 0D WHEN " + u + " <= 1.0 THEN (" + u + " - 0.1) / 3 END AS min_epsilon")
                    .selectExpr("run_id", "example_id", "label", "attack", "norm", "epsilon",
                            "CASE WHEN correct THEN label ELSE CAST(pmod(label + 1 + other, 10) AS INT) END AS predicted",
                            "correct", "confidence", "true_class_prob", "linf", "l2", "clean_correct", "min_epsilon",
                            "CAST(NULL AS INT) AS target", "CAST(NULL AS BOOLEAN) AS target_hit",
                            "CAST(NULL AS STRING) AS broken_by");
            long start = System.nanoTime();
            tables.replaceRun(ResultTables.PREDICTIONS, rows);
            double write = (System.nanoTime() - start) / 1e9;
            spark.sql("INSERT INTO " + tables.name(ResultTables.RUNS) + " SELECT '" + runId + "', current_timestamp(),"
                    + " current_timestamp(), 'succeeded', 'bench', '{}', 'synthetic', NULL, 'synthetic', " + n
                    + "L, 'local[2]', 1, NULL");
            spark.sql("INSERT INTO " + tables.name(ResultTables.SUMMARY) + " SELECT run_id, attack, norm, epsilon, count(*),"
                    + " count_if(correct), avg(CAST(correct AS DOUBLE)) AS r, avg(CAST(clean_correct AS DOUBLE)) AS c,"
                    + " avg(CAST(clean_correct AS DOUBLE)) - avg(CAST(correct AS DOUBLE)),"
                    + " count_if(clean_correct AND NOT correct) / greatest(count_if(clean_correct), 1),"
                    + " avg(CAST(correct AS DOUBLE)), avg(CAST(correct AS DOUBLE)), avg(confidence) FROM "
                    + tables.name(ResultTables.PREDICTIONS) + " GROUP BY run_id, attack, norm, epsilon");
            Row files = files(spark, tables, runId);
            out.printf("   the tables at %,d examples without the attack (synthetic FGSM rows, %d tasks as the job would"
                    + " use): predictions write %.0f s, %,d rows in %d files of %.1f to %.1f MB (%.1f MB)%n", n,
                    partitions, write, files.getLong(4), files.getLong(0), files.getLong(1) / 1048576.0,
                    files.getLong(2) / 1048576.0, files.getLong(3) / 1048576.0);
            timeQueries(spark, n, runId).forEach((name, q) -> out.printf("   %-34s %s%n", name, query(q)));
        } finally {
            GibbonSpark.stopIfRunning();
        }
    }

    /** The first run of a query in the session, the best of 3 more, and the files its scans read. */
    private static Query time(SparkSession spark, String sql) {
        double first = 0;
        double best = Double.MAX_VALUE;
        long[] files = null;
        for (int i = 0; i < 4; i++) {
            long start = System.nanoTime();
            var df = spark.sql(sql);
            df.collectAsList();
            double s = (System.nanoTime() - start) / 1e9;
            if (i == 0) {
                first = s;
                files = new long[2];
                scans(df.queryExecution().executedPlan(), files);
            } else {
                best = Math.min(best, s);
            }
        }
        return new Query(first, best, files[0], files[1]);
    }

    /**
     * Adds up the Iceberg scans' file metrics of an executed plan: {@code resultDataFiles} (read)
     * and that plus {@code skippedDataFiles} (the files the scan's manifests listed).
     */
    private static void scans(SparkPlan plan, long[] files) {
        if (plan instanceof AdaptiveSparkPlanExec adaptive) {
            scans(adaptive.executedPlan(), files);
            return;
        }
        if (plan instanceof QueryStageExec stage) {
            scans(stage.plan(), files);
            return;
        }
        if (plan instanceof BatchScanExec scan) {
            Map<String, SQLMetric> metrics = CollectionConverters.asJava(scan.metrics());
            long read = metrics.containsKey("resultDataFiles") ? metrics.get("resultDataFiles").value() : 0;
            long skipped = metrics.containsKey("skippedDataFiles") ? metrics.get("skippedDataFiles").value() : 0;
            files[0] += read;
            files[1] += read + skipped;
        }
        for (SparkPlan child : CollectionConverters.asJava(plan.children())) {
            scans(child, files);
        }
        for (var sub : CollectionConverters.asJava(plan.subqueries())) {
            scans((SparkPlan) sub, files);
        }
    }

    private void print(List<Measured> results) {
        Measured small = results.get(0);
        Measured large = results.get(1);
        out.printf("   %-34s %-28s %-28s %s%n", "", String.format(Locale.ROOT, "%,d examples", small.examples()),
                String.format(Locale.ROOT, "%,d examples", large.examples()), "ratio");
        row("wall time of gibbon run (s)", "%.0f", small.wallSeconds(), large.wallSeconds());
        double rateSmall = small.examples() / small.wallSeconds();
        double rateLarge = large.examples() / large.wallSeconds();
        out.printf("   %-34s %-28s %-28s %.2f (goal 0.90-1.10)%n", "examples/s (wall)", fmt("%.0f", rateSmall),
                fmt("%.0f", rateLarge), rateLarge / rateSmall);
        double runSmall = small.examples() / small.runSeconds();
        double runLarge = large.examples() / large.runSeconds();
        out.printf("   %-34s %-28s %-28s %.2f%n", "examples/s (the run's own time)", fmt("%.0f", runSmall),
                fmt("%.0f", runLarge), runLarge / runSmall);
        double attackSmall = small.examples() / small.attackSeconds();
        double attackLarge = large.examples() / large.attackSeconds();
        out.printf("   %-34s %-28s %-28s %.2f%n", "examples/s (attack stage)", fmt("%.0f", attackSmall),
                fmt("%.0f", attackLarge), attackLarge / attackSmall);
        row("peak RSS, driver = executor (MB)", "%,.0f", small.peakRssKb() / 1024.0, large.peakRssKb() / 1024.0);
        out.printf("   %-34s %-28s %-28s%n", "RSS at 25/50/75/100 % of run (MB)", quarters(small), quarters(large));
        row("predictions rows", "%,.0f", small.predictionRows(), large.predictionRows());
        row("predictions data files", "%.0f", small.dataFiles(), large.dataFiles());
        out.printf("   %-34s %-28s %-28s%n", "file size min / max (MB)", sizes(small), sizes(large));
        row("total Parquet size (MB)", "%.1f", small.totalFileBytes() / 1048576.0, large.totalFileBytes() / 1048576.0);
        out.printf("   query times: first in a fresh session / best of 3 more (s); data files read / listed by the"
                + " Iceberg scans (resultDataFiles / + skippedDataFiles)%n");
        for (String name : large.queries().keySet()) {
            out.printf("   %-34s %-28s %-28s%n", name, query(small.queries().get(name)), query(large.queries().get(name)));
        }
        out.println();
    }

    private void row(String name, String format, double small, double large) {
        out.printf("   %-34s %-28s %-28s %.2f%n", name, fmt(format, small), fmt(format, large), large / small);
    }

    private static String fmt(String format, double v) {
        return String.format(Locale.ROOT, format, v);
    }

    private static String quarters(Measured m) {
        return String.join(" / ", m.rssAtQuartersKb().stream().map(kb -> fmt("%,.0f", kb / 1024.0)).toList());
    }

    private static String sizes(Measured m) {
        return fmt("%.1f", m.minFileBytes() / 1048576.0) + " / " + fmt("%.1f", m.maxFileBytes() / 1048576.0);
    }

    private static String query(Query q) {
        return fmt("%.2f", q.firstSeconds()) + " / " + fmt("%.2f", q.bestSeconds()) + ", " + q.filesRead() + "/"
                + q.filesConsidered();
    }
}
