package gibbon.jobs;

import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;

import gibbon.config.CertifySettings;
import gibbon.config.ExperimentConfig;
import gibbon.metrics.WilsonInterval;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * Randomized smoothing certification of a run's examples (Cohen, Rosenfeld and Kolter 2019),
 * spread over the cluster: every (example, σ) needs n0 + n forward passes, far more than one task
 * should do, so its samples are cut into chunks of {@code certify.chunk-size} that run as
 * independent units on any executor ({@link CertifyPartition}); a Spark aggregation adds up each
 * (example, σ)'s class counts, and {@link CertifiedRows} turns the sums into certificates. The
 * noise of a sample depends only on (run seed, example id, σ, sample index) and batches lie on a
 * fixed grid, so the certificates are identical whatever the chunking, partitioning or retries.
 * Writes {@code certified} and {@code certified_summary}, one commit each.
 */
final class CertifyStage {
    /** The sample sets of CERTIFY: n0 samples choose the class, n others bound its probability. */
    static final String SELECTION = "selection";
    static final String ESTIMATION = "estimation";

    /** A chunk: samples [sample_from, sample_to) of a sample set starting at origin, at one sigma. */
    static final StructType CHUNK_SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("sigma", DataTypes.DoubleType, false),
        DataTypes.createStructField("sample_set", DataTypes.StringType, false),
        DataTypes.createStructField("origin", DataTypes.LongType, false),
        DataTypes.createStructField("sample_from", DataTypes.LongType, false),
        DataTypes.createStructField("sample_to", DataTypes.LongType, false),
    });

    /** A chunk's count of one class. */
    static final StructType COUNT_SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("example_id", DataTypes.LongType, false),
        DataTypes.createStructField("label", DataTypes.IntegerType, false),
        DataTypes.createStructField("sigma", DataTypes.DoubleType, false),
        DataTypes.createStructField("sample_set", DataTypes.StringType, false),
        DataTypes.createStructField("class", DataTypes.IntegerType, false),
        DataTypes.createStructField("count", DataTypes.LongType, false),
    });

    /** Tasks per core when chunks are plenty: small enough tasks that a slow executor does not hold the stage. */
    private static final int TASKS_PER_CORE = 4;

    private final ExperimentConfig config;
    private final CertifySettings settings;
    private final PrintStream out;

    CertifyStage(ExperimentConfig config, PrintStream out) {
        this.config = config;
        this.settings = config.certify();
        this.out = out;
    }

    /** The chunks of one example: for each σ, its selection and estimation samples cut at chunk-size. */
    List<Row> chunks() {
        List<Row> chunks = new ArrayList<>();
        long n0 = settings.n0();
        long end = n0 + settings.n();
        for (double sigma : settings.sigmas()) {
            for (long from = 0; from < n0; from += settings.chunkSize()) {
                chunks.add(RowFactory.create(sigma, SELECTION, 0L, from, Math.min(n0, from + settings.chunkSize())));
            }
            for (long from = n0; from < end; from += settings.chunkSize()) {
                chunks.add(RowFactory.create(sigma, ESTIMATION, n0, from, Math.min(end, from + settings.chunkSize())));
            }
        }
        return chunks;
    }

    /**
     * Certifies a run's examples: writes its {@code certified} rows (reporting progress in noisy
     * samples) and its {@code certified_summary}.
     */
    void run(SparkSession spark, ResultTables tables, Dataset<Row> examples, long n, int numClasses, String runId) {
        long samples = n * settings.sigmas().size() * (settings.n0() + (long) settings.n());
        LongAccumulator done = spark.sparkContext().longAccumulator("noisy samples classified");
        Dataset<Row> certified = certified(spark, examples, n, numClasses, runId, done);
        try (ProgressReporter progress = new ProgressReporter(spark.sparkContext(), done, samples, "certify",
                "noisy samples", out)) {
            tables.replaceRun(ResultTables.CERTIFIED, certified);
        }
        summarise(spark, tables, runId);
    }

    /**
     * The {@code certified} rows of {@code n} examples (rows of {@link ExampleSource#SCHEMA}), as a
     * Dataset not yet computed; {@code done} counts the noisy samples classified.
     */
    Dataset<Row> certified(SparkSession spark, Dataset<Row> examples, long n, int numClasses, String runId,
            LongAccumulator done) {
        List<Row> perExample = chunks();
        long units = n * perExample.size();
        int tasks = (int) Math.max(1, Math.min(units, (long) spark.sparkContext().defaultParallelism() * TASKS_PER_CORE));
        out.printf("certify: %d examples x sigma %s, n0 = %d, n = %d, alpha = %s: %d chunks of at most %d samples in %d"
                + " tasks, batch %d%n", n, settings.sigmas(), settings.n0(), settings.n(), settings.alpha(), units,
                settings.chunkSize(), tasks, settings.batchSize());
        // Round-robin, not by hash: every task gets as many chunks as the next (hashing a few hundred keys
        // into the tasks leaves some with twice the work of others), and the stage lasts as long as its longest task.
        Dataset<Row> chunks = examples.crossJoin(spark.createDataFrame(perExample, CHUNK_SCHEMA)).repartition(tasks);
        Dataset<Row> counts = chunks.mapPartitions(new CertifyPartition(config, done), Encoders.row(COUNT_SCHEMA));
        Dataset<Row> merged = counts.groupBy("example_id", "label", "sigma", "sample_set", "class")
                .agg(sum("count").as("count"))
                .groupBy("example_id", "label", "sigma")
                .agg(collect_list(struct("sample_set", "class", "count")).as("counts"));
        return merged.map(new CertifiedRows(runId, numClasses, settings.n0(), settings.alpha()),
                Encoders.row(ResultTables.CERTIFIED_SCHEMA));
    }

    /**
     * Writes {@code certified_summary} from the run's {@code certified} rows: per σ and radius r of
     * {@code certify.radii}, the share of examples certified correctly with radius at least r
     * (the paper's certified test accuracy), with its Wilson 95 % interval, and prints it.
     */
    private void summarise(SparkSession spark, ResultTables tables, String runId) {
        String radii = settings.radii().stream().map(r -> "(" + r + "D)").collect(Collectors.joining(", "));
        List<Row> counts = spark.sql("SELECT c.sigma, r.radius, count(*), count_if(c.correct AND c.radius >= r.radius),"
                + " count_if(c.abstained), count_if(c.smoothed_class = c.label), count_if(c.predict <=> c.label)"
                + " FROM " + tables.name(ResultTables.CERTIFIED) + " c CROSS JOIN (VALUES " + radii + ") AS r(radius)"
                + " WHERE c.run_id = '" + runId + "' GROUP BY c.sigma, r.radius ORDER BY c.sigma, r.radius").collectAsList();
        List<Row> rows = new ArrayList<>();
        for (Row r : counts) {
            long n = r.getLong(2);
            long certified = r.getLong(3);
            WilsonInterval ci = WilsonInterval.of95(certified, n);
            rows.add(new TableRow(ResultTables.CERTIFIED_SUMMARY_SCHEMA)
                    .set("run_id", runId)
                    .set("sigma", r.getDouble(0))
                    .set("radius", r.getDouble(1))
                    .set("n", n)
                    .set("certified", certified)
                    .set("certified_accuracy", (double) certified / n)
                    .set("ci_low", ci.low())
                    .set("ci_high", ci.high())
                    .set("abstain_rate", (double) r.getLong(4) / n)
                    .set("smoothed_accuracy", (double) r.getLong(5) / n)
                    .set("predict_accuracy", (double) r.getLong(6) / n)
                    .build());
        }
        tables.replaceRun(ResultTables.CERTIFIED_SUMMARY, spark.createDataFrame(rows, ResultTables.CERTIFIED_SUMMARY_SCHEMA));
        out.printf("certified accuracy of run %s (%d examples)%n", runId, rows.isEmpty() ? 0 : rows.get(0).getLong(3));
        out.printf("%8s %8s %10s %18s %9s %9s%n", "sigma", "radius", "certified", "95% interval", "abstain", "smoothed");
        for (Row r : rows) {
            out.printf("%8.3f %8.3f %10.4f   [%.4f, %.4f] %9.4f %9.4f%n", r.getDouble(1), r.getDouble(2), r.getDouble(5),
                    r.getDouble(6), r.getDouble(7), r.getDouble(8), r.getDouble(9));
        }
    }
}
