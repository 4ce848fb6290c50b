package gibbon.bench;

import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import gibbon.jobs.GibbonSpark;
import gibbon.jobs.ResultTables;
import gibbon.jobs.TableMaintenance;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * How the result tables grow over many runs and what {@code gibbon maintain} leaves of them. Each
 * run makes the commits a run of one attack entry makes, through the job's own table code
 * ({@link ResultTables}): its {@code running} row, its unit staged in {@code pending_predictions}
 * (4 files, as 4 tasks write them), published to {@code predictions} with its summary, the staging
 * deleted, the {@code succeeded} row; every tenth run is run again under the same id, as a rerun
 * replaces a run. The rows are synthetic (20 examples x 3 epsilons): the attack itself would add
 * only time. Then maintenance with a retention of 0 s, which stands for the first maintenance a
 * retention after these runs (all snapshots but each table's newest are old enough to expire).
 */
final class TableHealthBench {
    private static final int EXAMPLES = 20;
    private static final double[] EPSILONS = {0, 0.05, 0.1};
    private static final int FILES_PER_UNIT = 4;

    private TableHealthBench() {}

    /** Makes {@code runs} runs in a fresh warehouse and prints the tables' figures before and after maintenance. */
    static void measure(int runs, PrintStream out) throws Exception {
        Path warehouse = Files.createTempDirectory("gibbon-bench-tables");
        ExperimentConfig config = ConfigLoader.load(Path.of("conf", "default.conf"), List.of(
                "output.warehouse=" + warehouse, "output.catalog=benchtables", "spark.master=\"local[2]\""));
        SparkSession spark = GibbonSpark.session(config);
        ResultTables tables = new ResultTables(spark, config);
        tables.createIfMissing();
        long start = System.nanoTime();
        String previous = null;
        for (int i = 0; i < runs; i++) {
            String id = i % 10 == 9 ? previous : String.format(Locale.ROOT, "bench-%04d", i);
            run(spark, tables, config, id);
            previous = id;
        }
        out.printf("   %d runs (%d of them reruns of the run before), %.0f s; then gibbon maintain --retention 0s%n", runs,
                runs / 10, (System.nanoTime() - start) / 1e9);
        long maintainStart = System.nanoTime();
        TableMaintenance.Report report = new TableMaintenance(spark, config).run(Instant.now(), Duration.ZERO, false);
        out.printf("   maintenance: %.0f s; compacted %d data files into %d, expired %d snapshots, removed %d orphan files%n",
                (System.nanoTime() - maintainStart) / 1e9, report.rewrittenDataFiles(), report.addedDataFiles(),
                report.expiredSnapshots(), report.orphanFiles());
        String format = "   %-22s %-16s %-26s %-14s %s%n";
        out.printf(format, "table", "data files", "data bytes", "snapshots", "metadata files");
        for (TableMaintenance.TableFigures t : report.tables()) {
            TableMaintenance.Figures b = t.before();
            TableMaintenance.Figures a = t.after();
            out.printf(format, t.table(), b.dataFiles() + " -> " + a.dataFiles(),
                    kib(b.dataBytes()) + " -> " + kib(a.dataBytes()), b.snapshots() + " -> " + a.snapshots(),
                    b.metadataFiles() + " -> " + a.metadataFiles());
        }
        out.println();
        GibbonSpark.stopIfRunning();
    }

    /** One run's commits, in the order a run of one staged attack entry makes them. */
    private static void run(SparkSession spark, ResultTables tables, ExperimentConfig config, String id) {
        Timestamp started = Timestamp.from(Instant.now());
        tables.recordRun(runRow(config, id, started, "running"));
        tables.replaceRun(ResultTables.PENDING_PREDICTIONS, predictions(spark, id));
        Dataset<Row> staged = spark.table(tables.name(ResultTables.PENDING_PREDICTIONS)).where("run_id = '" + id + "'");
        tables.replaceRun(ResultTables.PREDICTIONS, staged.selectExpr(ResultTables.PREDICTIONS_SCHEMA.fieldNames()));
        List<Row> summary = new ArrayList<>();
        for (double e : EPSILONS) {
            summary.add(row(ResultTables.SUMMARY_SCHEMA, Map.ofEntries(Map.entry("run_id", id), Map.entry("attack", "fgsm"),
                    Map.entry("norm", "linf"), Map.entry("epsilon", e), Map.entry("n", (long) EXAMPLES),
                    Map.entry("correct", (long) EXAMPLES / 2), Map.entry("robust_accuracy", 0.5),
                    Map.entry("clean_accuracy", 0.9), Map.entry("accuracy_drop", 0.4),
                    Map.entry("attack_success_rate", 0.45), Map.entry("ci_low", 0.3), Map.entry("ci_high", 0.7),
                    Map.entry("mean_confidence", 0.8))));
        }
        tables.replaceRun(ResultTables.SUMMARY, spark.createDataFrame(summary, ResultTables.SUMMARY_SCHEMA));
        tables.deleteRun(ResultTables.PENDING_PREDICTIONS, id);
        tables.recordRun(runRow(config, id, started, "succeeded"));
    }

    private static Row runRow(ExperimentConfig config, String id, Timestamp started, String status) {
        return row(ResultTables.RUNS_SCHEMA, Map.ofEntries(Map.entry("run_id", id), Map.entry("started_at", started),
                Map.entry("status", status), Map.entry("gibbon_version", "bench"), Map.entry("config", config.resolvedJson()),
                Map.entry("model_uri", config.model().uri()), Map.entry("dataset_uri", config.dataset().images()),
                Map.entry("n_examples", (long) EXAMPLES), Map.entry("spark_master", "local[2]"), Map.entry("executors", 1)));
    }

    /** The unit's staged rows, in as many partitions (so files) as tasks would write. */
    private static Dataset<Row> predictions(SparkSession spark, String id) {
        List<Row> rows = new ArrayList<>();
        for (long example = 0; example < EXAMPLES; example++) {
            for (double e : EPSILONS) {
                rows.add(row(ResultTables.PENDING_SCHEMA, Map.ofEntries(Map.entry("run_id", id),
                        Map.entry("example_id", example), Map.entry("label", (int) (example % 10)),
                        Map.entry("attack", "fgsm"), Map.entry("norm", "linf"), Map.entry("epsilon", e),
                        Map.entry("predicted", (int) ((example + (long) (e * 100)) % 10)),
                        Map.entry("correct", e == 0), Map.entry("confidence", 0.8f), Map.entry("true_class_prob", 0.5f),
                        Map.entry("linf", (float) e), Map.entry("l2", (float) (e * 28)), Map.entry("clean_correct", true))));
            }
        }
        return spark.createDataFrame(rows, ResultTables.PENDING_SCHEMA).repartition(FILES_PER_UNIT);
    }

    /** A row of a schema from named values; the fields not named are null. */
    private static Row row(StructType schema, Map<String, Object> values) {
        StructField[] fields = schema.fields();
        Object[] cells = new Object[fields.length];
        for (int i = 0; i < fields.length; i++) {
            cells[i] = values.get(fields[i].name());
        }
        return RowFactory.create(cells);
    }

    private static String kib(long bytes) {
        return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
}
