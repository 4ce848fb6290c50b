package gibbon.jobs;

import gibbon.config.ExperimentConfig;
import gibbon.metrics.PredictionRecord;
import gibbon.metrics.RobustAccuracy;
import gibbon.metrics.TransferRecord;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.analysis.NoSuchTableException;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Iceberg result tables: {@code runs}, {@code predictions}, {@code summary},
 * {@code adversarial_examples}, for transfer attacks {@code transfer} and
 * {@code transfer_summary}, and for randomized smoothing {@code certified} and
 * {@code certified_summary}, in the configured catalog and namespace. Schemas are documented in
 * docs/tables.md. Columns added by newer versions are nullable and added to existing tables, so an
 * older warehouse keeps working.
 */
public final class ResultTables {
    public static final String RUNS = "runs";
    public static final String PREDICTIONS = "predictions";
    public static final String SUMMARY = "summary";
    public static final String TRANSFER = "transfer";
    public static final String TRANSFER_SUMMARY = "transfer_summary";
    public static final String ADVERSARIAL_EXAMPLES = "adversarial_examples";
    /** Finished (attack) units of runs not yet published to predictions; what --resume keeps. */
    public static final String PENDING_PREDICTIONS = "pending_predictions";
    public static final String CERTIFIED = "certified";
    public static final String CERTIFIED_SUMMARY = "certified_summary";
    public static final List<String> ALL = List.of(RUNS, PREDICTIONS, SUMMARY, TRANSFER, TRANSFER_SUMMARY,
            ADVERSARIAL_EXAMPLES, CERTIFIED, CERTIFIED_SUMMARY);

    public static final StructType RUNS_SCHEMA = new StructType(new StructField[] {
        field("run_id", DataTypes.StringType, false),
        field("started_at", DataTypes.TimestampType, false),
        field("finished_at", DataTypes.TimestampType, true),
        field("status", DataTypes.StringType, false),
        field("gibbon_version", DataTypes.StringType, false),
        field("config", DataTypes.StringType, false),
        field("model_uri", DataTypes.StringType, false),
        field("model_sha256", DataTypes.StringType, true),
        field("dataset_uri", DataTypes.StringType, false),
        field("n_examples", DataTypes.LongType, false),
        field("spark_master", DataTypes.StringType, false),
        field("executors", DataTypes.IntegerType, false),
        field("class_names", DataTypes.createArrayType(DataTypes.StringType, false), true),
    });

    public static final StructType PREDICTIONS_SCHEMA = new StructType(new StructField[] {
        field("run_id", DataTypes.StringType, false),
        field("example_id", DataTypes.LongType, false),
        field("label", DataTypes.IntegerType, false),
        field("attack", DataTypes.StringType, false),
        field("norm", DataTypes.StringType, false),
        field("epsilon", DataTypes.DoubleType, false),
        field("predicted", DataTypes.IntegerType, false),
        field("correct", DataTypes.BooleanType, false),
        field("confidence", DataTypes.FloatType, false),
        field("true_class_prob", DataTypes.FloatType, false),
        field("linf", DataTypes.FloatType, false),
        field("l2", DataTypes.FloatType, false),
        field("clean_correct", DataTypes.BooleanType, false),
        field("min_epsilon", DataTypes.DoubleType, true),
        field("target", DataTypes.IntegerType, true),
        field("target_hit", DataTypes.BooleanType, true),
        field("broken_by", DataTypes.StringType, true),
    });

    /** Predictions staged per attack unit, with the adversarial inputs of the sampled examples. */
    public static final StructType PENDING_SCHEMA = PREDICTIONS_SCHEMA.add(
            field("adversarial", DataTypes.createArrayType(DataTypes.FloatType, false), true));

    public static final StructType ADVERSARIAL_EXAMPLES_SCHEMA = new StructType(new StructField[] {
        field("run_id", DataTypes.StringType, false),
        field("example_id", DataTypes.LongType, false),
        field("label", DataTypes.IntegerType, false),
        field("attack", DataTypes.StringType, false),
        field("norm", DataTypes.StringType, false),
        field("epsilon", DataTypes.DoubleType, false),
        field("predicted", DataTypes.IntegerType, false),
        field("correct", DataTypes.BooleanType, false),
        field("confidence", DataTypes.FloatType, false),
        field("shape", DataTypes.createArrayType(DataTypes.IntegerType, false), false),
        field("tensor", DataTypes.createArrayType(DataTypes.FloatType, false), false),
    });

    public static final StructType SUMMARY_SCHEMA = new StructType(new StructField[] {
        field("run_id", DataTypes.StringType, false),
        field("attack", DataTypes.StringType, false),
        field("norm", DataTypes.StringType, false),
        field("epsilon", DataTypes.DoubleType, false),
        field("n", DataTypes.LongType, false),
        field("correct", DataTypes.LongType, false),
        field("robust_accuracy", DataTypes.DoubleType, false),
        field("clean_accuracy", DataTypes.DoubleType, false),
        field("accuracy_drop", DataTypes.DoubleType, false),
        field("attack_success_rate", DataTypes.DoubleType, false),
        field("ci_low", DataTypes.DoubleType, false),
        field("ci_high", DataTypes.DoubleType, false),
        field("mean_confidence", DataTypes.DoubleType, false),
    });

    public static final StructType TRANSFER_SCHEMA = new StructType(new StructField[] {
        field("run_id", DataTypes.StringType, false),
        field("example_id", DataTypes.LongType, false),
        field("label", DataTypes.IntegerType, false),
        field("attack", DataTypes.StringType, false),
        field("norm", DataTypes.StringType, false),
        field("epsilon", DataTypes.DoubleType, false),
        field("source_model", DataTypes.StringType, false),
        field("source_sha256", DataTypes.StringType, false),
        field("target_model", DataTypes.StringType, false),
        field("target_sha256", DataTypes.StringType, false),
        field("predicted", DataTypes.IntegerType, false),
        field("correct", DataTypes.BooleanType, false),
        field("confidence", DataTypes.FloatType, false),
        field("target_clean_correct", DataTypes.BooleanType, false),
    });

    public static final StructType TRANSFER_SUMMARY_SCHEMA = new StructType(new StructField[] {
        field("run_id", DataTypes.StringType, false),
        field("source_model", DataTypes.StringType, false),
        field("target_model", DataTypes.StringType, false),
        field("attack", DataTypes.StringType, false),
        field("norm", DataTypes.StringType, false),
        field("epsilon", DataTypes.DoubleType, false),
        field("n", DataTypes.LongType, false),
        field("correct", DataTypes.LongType, false),
        field("robust_accuracy", DataTypes.DoubleType, false),
        field("clean_accuracy", DataTypes.DoubleType, false),
        field("attack_success_rate", DataTypes.DoubleType, false),
        field("ci_low", DataTypes.DoubleType, false),
        field("ci_high", DataTypes.DoubleType, false),
    });

    /** One row per (run, example, sigma): CERTIFY's and PREDICT's answers (Cohen et al. 2019). */
    public static final StructType CERTIFIED_SCHEMA = new StructType(new StructField[] {
        field("run_id", DataTypes.StringType, false),
        field("example_id", DataTypes.LongType, false),
        field("label", DataTypes.IntegerType, false),
        field("sigma", DataTypes.DoubleType, false),
        field("predicted", DataTypes.IntegerType, true),
        field("abstained", DataTypes.BooleanType, false),
        field("correct", DataTypes.BooleanType, false),
        field("radius", DataTypes.DoubleType, true),
        field("p_a_lower", DataTypes.DoubleType, false),
        field("n_a", DataTypes.LongType, false),
        field("n", DataTypes.LongType, false),
        field("n0", DataTypes.LongType, false),
        field("alpha", DataTypes.DoubleType, false),
        field("top_class", DataTypes.IntegerType, false),
        field("smoothed_class", DataTypes.IntegerType, false),
        field("predict", DataTypes.IntegerType, true),
        field("predict_p_value", DataTypes.DoubleType, false),
    });

    /** One row per (run, sigma, radius): certified accuracy. */
    public static final StructType CERTIFIED_SUMMARY_SCHEMA = new StructType(new StructField[] {
        field("run_id", DataTypes.StringType, false),
        field("sigma", DataTypes.DoubleType, false),
        field("radius", DataTypes.DoubleType, false),
        field("n", DataTypes.LongType, false),
        field("certified", DataTypes.LongType, false),
        field("certified_accuracy", DataTypes.DoubleType, false),
        field("ci_low", DataTypes.DoubleType, false),
        field("ci_high", DataTypes.DoubleType, false),
        field("abstain_rate", DataTypes.DoubleType, false),
        field("smoothed_accuracy", DataTypes.DoubleType, false),
        field("predict_accuracy", DataTypes.DoubleType, false),
    });

    /**
     * The layout of the tables with one row per example and budget, keyed by table: the columns a
     * file is sorted by. Their writes shuffle a run's rows by partition ({@code hash}), and Spark's
     * adaptive execution cuts that one partition into writer tasks of about
     * {@link #ADVISORY_PARTITION_BYTES} of shuffle data, each sorting its rows and writing files of
     * up to {@link #TARGET_FILE_BYTES}. Row groups of {@link #ROW_GROUP_BYTES} let a query on one
     * (attack, epsilon) or one example skip the rest of a file by its Parquet statistics.
     */
    static final Map<String, String> LAYOUT = Map.of(
            PREDICTIONS, "attack, epsilon, example_id",
            TRANSFER, "attack, epsilon, source_model, target_model, example_id");
    static final long TARGET_FILE_BYTES = 128L << 20;
    static final long ADVISORY_PARTITION_BYTES = 512L << 20;
    static final long ROW_GROUP_BYTES = 8L << 20;

    /** The write properties of {@link #LAYOUT}'s tables; a table whose owner set one keeps that value. */
    static final Map<String, String> LAYOUT_PROPERTIES = Map.of(
            "write.distribution-mode", "hash",
            "write.target-file-size-bytes", String.valueOf(TARGET_FILE_BYTES),
            "write.spark.advisory-partition-size-bytes", String.valueOf(ADVISORY_PARTITION_BYTES),
            "write.parquet.row-group-size-bytes", String.valueOf(ROW_GROUP_BYTES));

    private final SparkSession spark;
    private final String namespace;

    public ResultTables(SparkSession spark, ExperimentConfig config) {
        this.spark = spark;
        this.namespace = config.catalog() + "." + config.namespace();
    }

    /**
     * The tables for reading: created if missing, and made the session's current namespace so
     * queries can use the plain names ({@code runs}, {@code summary}, ...).
     */
    public static ResultTables open(SparkSession spark, ExperimentConfig config) {
        ResultTables tables = new ResultTables(spark, config);
        tables.createIfMissing();
        spark.sql("USE " + tables.namespace);
        return tables;
    }

    /**
     * A {@code pending_predictions} row (a {@code predictions} row plus the adversarial input):
     * a sweep that left the example unbroken has no {@code min_epsilon}, stored as null.
     */
    static Row pendingPredictionRow(String runId, PredictionRecord r) {
        return new TableRow(PENDING_SCHEMA)
                .set("run_id", runId)
                .set("example_id", r.exampleId())
                .set("label", r.label())
                .set("attack", r.attack())
                .set("norm", r.norm())
                .set("epsilon", r.epsilon())
                .set("predicted", r.predicted())
                .set("correct", r.correct())
                .set("confidence", r.confidence())
                .set("true_class_prob", r.trueClassProb())
                .set("linf", r.linf())
                .set("l2", r.l2())
                .set("clean_correct", r.cleanCorrect())
                .set("min_epsilon", Double.isNaN(r.minEpsilon()) ? null : r.minEpsilon())
                .set("target", r.target())
                .set("target_hit", r.targetHit())
                .set("broken_by", r.brokenBy())
                .set("adversarial", r.adversarial())
                .build();
    }

    /** A {@code summary} row. */
    static Row summaryRow(String runId, RobustAccuracy s) {
        return accuracy(new TableRow(SUMMARY_SCHEMA), s)
                .set("run_id", runId)
                .set("accuracy_drop", s.accuracyDrop())
                .set("mean_confidence", s.meanConfidence())
                .build();
    }

    /** The columns both summary tables share: the (attack, epsilon) cell and its accuracy figures. */
    private static TableRow accuracy(TableRow row, RobustAccuracy s) {
        return row.set("attack", s.attack())
                .set("norm", s.norm())
                .set("epsilon", s.epsilon())
                .set("n", s.n())
                .set("correct", s.correct())
                .set("robust_accuracy", s.robustAccuracy())
                .set("clean_accuracy", s.cleanAccuracy())
                .set("attack_success_rate", s.attackSuccessRate())
                .set("ci_low", s.ciLow())
                .set("ci_high", s.ciHigh());
    }

    /** A {@code transfer} row; {@code sha256} maps each model name to its file's SHA-256. */
    static Row transferRow(String runId, TransferRecord r, Map<String, String> sha256) {
        return new TableRow(TRANSFER_SCHEMA)
                .set("run_id", runId)
                .set("example_id", r.exampleId())
                .set("label", r.label())
                .set("attack", r.attack())
                .set("norm", r.norm())
                .set("epsilon", r.epsilon())
                .set("source_model", r.source())
                .set("source_sha256", sha256.get(r.source()))
                .set("target_model", r.target())
                .set("target_sha256", sha256.get(r.target()))
                .set("predicted", r.predicted())
                .set("correct", r.correct())
                .set("confidence", r.confidence())
                .set("target_clean_correct", r.targetCleanCorrect())
                .build();
    }

    /** A {@code transfer_summary} row: examples crafted on {@code source}, judged by {@code target}. */
    static Row transferSummaryRow(String runId, String source, String target, RobustAccuracy s) {
        return accuracy(new TableRow(TRANSFER_SUMMARY_SCHEMA), s)
                .set("run_id", runId)
                .set("source_model", source)
                .set("target_model", target)
                .build();
    }

    /** The fully qualified name of a result table, e.g. {@code gibbon.robustness.runs}. */
    public String name(String table) {
        return namespace + "." + table;
    }

    /** Creates the namespace and the tables that do not exist yet. */
    public void createIfMissing() {
        try {
            spark.sql("CREATE NAMESPACE IF NOT EXISTS " + namespace);
        } catch (Exception e) {
            // A concurrent run on a shared catalog may create it between Spark's check and its own create.
            if (!spark.catalog().databaseExists(namespace)) {
                throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
            }
        }
        create(RUNS, RUNS_SCHEMA);
        create(PREDICTIONS, PREDICTIONS_SCHEMA);
        create(SUMMARY, SUMMARY_SCHEMA);
        create(TRANSFER, TRANSFER_SCHEMA);
        create(TRANSFER_SUMMARY, TRANSFER_SUMMARY_SCHEMA);
        create(ADVERSARIAL_EXAMPLES, ADVERSARIAL_EXAMPLES_SCHEMA);
        create(CERTIFIED, CERTIFIED_SCHEMA);
        create(CERTIFIED_SUMMARY, CERTIFIED_SUMMARY_SCHEMA);
        create(PENDING_PREDICTIONS, PENDING_SCHEMA, "run_id, attack");
    }

    /**
     * Writes one run's rows to a table partitioned by run_id as one atomic Iceberg commit that
     * replaces whatever rows that run id had (a rerun of a crashed run leaves exactly one copy).
     * Each task of a small table writes its own rows: all of them share the run's partition, so a
     * shuffle by partition would only add a stage. The per-example tables ({@link #LAYOUT}) instead
     * shuffle the run's rows into writer tasks of a bounded size and sort them, so that a run's
     * files are few, near the target size, whatever the number of attack tasks.
     */
    public void replaceRun(String table, Dataset<Row> rows) {
        try {
            // Per-example tables follow their own write distribution and sort order (see LAYOUT).
            var writer = LAYOUT.containsKey(table) ? rows.writeTo(name(table))
                    : rows.writeTo(name(table)).option("distribution-mode", "none").option("fanout-enabled", "true");
            writer.overwritePartitions();
        } catch (NoSuchTableException e) {
            throw new IllegalStateException("result table " + name(table) + " disappeared during the run", e);
        }
    }

    /** Rows a run has in a table. */
    public long rows(String table, String runId, String attack) {
        return spark.sql("SELECT count(*) FROM " + name(table) + " WHERE run_id = '" + runId + "'"
                + (attack == null ? "" : " AND attack = '" + attack + "'")).first().getLong(0);
    }

    /** Deletes a run's rows from a table (one commit). */
    public void deleteRun(String table, String runId) {
        spark.sql("DELETE FROM " + name(table) + " WHERE run_id = '" + runId + "'");
    }

    /** A run's stored config ({@code runs.config}), or null if the run is unknown. */
    public String storedConfig(String runId) {
        List<Row> rows = spark.sql("SELECT config FROM " + name(RUNS) + " WHERE run_id = '" + runId + "'").collectAsList();
        return rows.isEmpty() ? null : rows.get(0).getString(0);
    }

    /**
     * Inserts or replaces a run's row of {@code runs} in one commit. {@code runs} is partitioned by
     * run_id, so overwriting the row's partition replaces exactly that run's row: a MERGE would do
     * the same with a join job, several times slower.
     */
    public void recordRun(Row run) {
        replaceRun(RUNS, spark.createDataFrame(List.of(run), RUNS_SCHEMA));
    }

    /**
     * Every table is partitioned by run_id, so a run's commits touch only its own files; with
     * snapshot isolation, concurrent runs then never conflict and Iceberg's commit retries suffice.
     */
    private void create(String table, StructType schema) {
        create(table, schema, "run_id");
    }

    private void create(String table, StructType schema, String partitioning) {
        if (spark.catalog().tableExists(name(table))) {
            addMissingColumns(table, schema);
            applyLayout(table);
            return;
        }
        try {
            spark.sql("CREATE TABLE IF NOT EXISTS " + name(table) + " (" + schema.toDDL() + ") USING iceberg"
                    + " PARTITIONED BY (" + partitioning + ") TBLPROPERTIES ('format-version' = '2',"
                    + " 'write.update.isolation-level' = 'snapshot', 'write.merge.isolation-level' = 'snapshot',"
                    + " 'write.delete.isolation-level' = 'snapshot', 'commit.retry.num-retries' = '20', "
                    + TableMaintenance.metadataProperties() + ")");
        } catch (Exception e) {
            // A concurrent run may create it first; that is fine.
            if (!spark.catalog().tableExists(name(table))) {
                throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
            }
        }
        applyLayout(table);
    }

    /**
     * Gives a {@link #LAYOUT} table its sort order and write properties, also when an older Gibbon
     * created it: properties the table lacks are added, and the sort order is set only on an
     * unsorted table, so that an owner's own choices stay.
     */
    private void applyLayout(String table) {
        String order = LAYOUT.get(table);
        if (order == null) {
            return;
        }
        try {
            org.apache.iceberg.Table iceberg = org.apache.iceberg.spark.Spark3Util.loadIcebergTable(spark, name(table));
            String missing = LAYOUT_PROPERTIES.entrySet().stream()
                    .filter(e -> !iceberg.properties().containsKey(e.getKey()))
                    .map(e -> "'" + e.getKey() + "' = '" + e.getValue() + "'").sorted()
                    .collect(java.util.stream.Collectors.joining(", "));
            if (iceberg.sortOrder().isUnsorted()) {
                // Iceberg's WRITE ORDERED BY would also switch the table to range distribution; keep hash.
                var sort = iceberg.replaceSortOrder();
                for (String column : order.split(", ")) {
                    sort = sort.asc(column);
                }
                sort.commit();
            }
            if (!missing.isEmpty()) {
                spark.sql("ALTER TABLE " + name(table) + " SET TBLPROPERTIES (" + missing + ")");
            }
        } catch (org.apache.iceberg.exceptions.CommitFailedException e) {
            // A concurrent run set them first; its values are Gibbon's too.
        } catch (org.apache.spark.sql.catalyst.parser.ParseException
                | org.apache.spark.sql.catalyst.analysis.NoSuchTableException e) {
            throw new IllegalStateException("result table " + name(table) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Adds the nullable columns a newer Gibbon declares to a table an older one created (Iceberg
     * schema evolution: old rows read them as null), so existing warehouses keep working.
     */
    private void addMissingColumns(String table, StructType schema) {
        java.util.Set<String> present = java.util.Set.of(spark.table(name(table)).columns());
        for (StructField f : schema.fields()) {
            if (f.nullable() && !present.contains(f.name())) {
                try {
                    spark.sql("ALTER TABLE " + name(table) + " ADD COLUMN " + f.name() + " " + f.dataType().sql());
                } catch (Exception e) {
                    // A concurrent run may have added it first.
                    if (!List.of(spark.table(name(table)).columns()).contains(f.name())) {
                        throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
                    }
                }
            }
        }
    }

    private static StructField field(String name, org.apache.spark.sql.types.DataType type, boolean nullable) {
        return DataTypes.createStructField(name, type, nullable);
    }
}
