package gibbon.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gibbon.config.ConfigLoader;
import gibbon.config.ExperimentConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.iceberg.Table;
import org.apache.iceberg.spark.Spark3Util;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file layout of the per-example tables (docs/tables.md, "File layout"): a fresh table gets the
 * sort order and write properties, an older table gains them without losing its owner's own
 * values, and a run's rows computed by many tasks land in one file per writer, sorted.
 */
class TableLayoutTest {
    @TempDir
    static Path warehouse;
    private static SparkSession spark;
    private static ExperimentConfig config;

    @BeforeAll
    static void session() {
        // A session an earlier test class left running would keep its catalog on that class's warehouse.
        GibbonSpark.stopIfRunning();
        config = ConfigLoader.load(Path.of("conf/default.conf"), List.of("output.warehouse=" + warehouse,
                "spark.master=\"local[2]\""));
        spark = GibbonSpark.session(config);
    }

    @AfterAll
    static void stop() {
        GibbonSpark.stopIfRunning();
    }

    @Test
    void freshPredictionsAreSortedAndSizedAndManyTasksWriteOneSortedFile() throws Exception {
        ResultTables tables = ResultTables.open(spark, config);
        Table predictions = Spark3Util.loadIcebergTable(spark, tables.name(ResultTables.PREDICTIONS));
        assertEquals("[attack, epsilon, example_id]", sortColumns(predictions));
        ResultTables.LAYOUT_PROPERTIES.forEach((k, v) -> assertEquals(v, predictions.properties().get(k), k));
        Table transfer = Spark3Util.loadIcebergTable(spark, tables.name(ResultTables.TRANSFER));
        assertEquals("[attack, epsilon, source_model, target_model, example_id]", sortColumns(transfer));
        Table runs = Spark3Util.loadIcebergTable(spark, tables.name(ResultTables.RUNS));
        assertTrue(runs.sortOrder().isUnsorted(), "small tables keep the write of one file per task");

        // 3000 examples x 2 attacks x 3 epsilons in shuffled order, computed by 24 tasks as a sweep's are.
        List<Row> rows = new ArrayList<>();
        for (long id = 0; id < 3000; id++) {
            for (String attack : List.of("pgd", "fgsm")) {
                for (double eps : new double[] {0.3, 0, 0.1}) {
                    rows.add(predictionRow("run-a", id, attack, eps));
                }
            }
        }
        Collections.shuffle(rows, new Random(7));
        var data = spark.createDataFrame(rows, ResultTables.PREDICTIONS_SCHEMA).repartition(24);
        assertEquals(24, data.rdd().getNumPartitions());
        tables.replaceRun(ResultTables.PREDICTIONS, data);

        List<Row> files = spark.sql("SELECT file_path, record_count FROM " + tables.name(ResultTables.PREDICTIONS)
                + ".files").collectAsList();
        assertEquals(1, files.size(), "18 000 rows are far below the target size: one file, not one per task");
        assertEquals(18_000L, files.get(0).getLong(1));
        assertSorted(files.get(0).getString(0));

        // With 100 kB writer tasks, the same rows land in a few files by size, each sorted, not in one per task.
        spark.sql("ALTER TABLE " + tables.name(ResultTables.PREDICTIONS) + " SET TBLPROPERTIES ("
                + "'write.spark.advisory-partition-size-bytes' = '100000', 'write.target-file-size-bytes' = '100000')");
        tables.replaceRun(ResultTables.PREDICTIONS, data);
        files = spark.sql("SELECT file_path, record_count FROM " + tables.name(ResultTables.PREDICTIONS) + ".files")
                .collectAsList();
        assertTrue(files.size() > 1 && files.size() < 24, files.size() + " files");
        assertEquals(18_000L, files.stream().mapToLong(f -> f.getLong(1)).sum());
        for (Row f : files) {
            assertSorted(f.getString(0));
        }

        // A second publish of the same run replaces its rows (the rerun contract) under the new layout too.
        tables.replaceRun(ResultTables.PREDICTIONS, data.limit(600));
        assertEquals(600, tables.rows(ResultTables.PREDICTIONS, "run-a", null));
    }

    @Test
    void anOlderTableGainsTheLayoutAndKeepsItsOwnersValues() throws Exception {
        String namespace = "older";
        ExperimentConfig older = ConfigLoader.load(Path.of("conf/default.conf"), List.of("output.warehouse=" + warehouse,
                "spark.master=\"local[2]\"", "output.namespace=" + namespace));
        String name = older.catalog() + "." + namespace + "." + ResultTables.PREDICTIONS;
        spark.sql("CREATE NAMESPACE IF NOT EXISTS " + older.catalog() + "." + namespace);
        // As Gibbon created it before the layout, with a target size its owner chose since.
        spark.sql("CREATE TABLE " + name + " (" + ResultTables.PREDICTIONS_SCHEMA.toDDL() + ") USING iceberg"
                + " PARTITIONED BY (run_id) TBLPROPERTIES ('format-version' = '2', 'write.target-file-size-bytes' = '1000000')");
        ResultTables.open(spark, older);
        Table table = Spark3Util.loadIcebergTable(spark, name);
        assertEquals("[attack, epsilon, example_id]", sortColumns(table));
        assertEquals("1000000", table.properties().get("write.target-file-size-bytes"));
        assertEquals("hash", table.properties().get("write.distribution-mode"));
        assertEquals(String.valueOf(ResultTables.ADVISORY_PARTITION_BYTES),
                table.properties().get("write.spark.advisory-partition-size-bytes"));
    }

    private static void assertSorted(String file) {
        List<Row> stored = spark.read().parquet(file).select("attack", "epsilon", "example_id").collectAsList();
        for (int i = 1; i < stored.size(); i++) {
            Row a = stored.get(i - 1);
            Row b = stored.get(i);
            int byAttack = a.getString(0).compareTo(b.getString(0));
            int byEpsilon = Double.compare(a.getDouble(1), b.getDouble(1));
            int byId = Long.compare(a.getLong(2), b.getLong(2));
            assertTrue(byAttack < 0 || byAttack == 0 && (byEpsilon < 0 || byEpsilon == 0 && byId < 0),
                    file + ": row " + i + " is out of (attack, epsilon, example_id) order: " + a + " then " + b);
        }
    }

    private static String sortColumns(Table table) {
        return table.sortOrder().fields().stream().map(f -> table.schema().findColumnName(f.sourceId())).toList().toString();
    }

    private static Row predictionRow(String runId, long id, String attack, double eps) {
        return new TableRow(ResultTables.PREDICTIONS_SCHEMA)
                .set("run_id", runId)
                .set("example_id", id)
                .set("label", (int) (id % 10))
                .set("attack", attack)
                .set("norm", "linf")
                .set("epsilon", eps)
                .set("predicted", (int) (id % 10))
                .set("correct", true)
                .set("confidence", 0.9f)
                .set("true_class_prob", 0.9f)
                .set("linf", (float) eps)
                .set("l2", (float) eps)
                .set("clean_correct", true)
                .build();
    }
}
