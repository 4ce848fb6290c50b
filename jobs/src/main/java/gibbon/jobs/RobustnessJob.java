package gibbon.jobs;

import ai.djl.Device;
import gibbon.GibbonException;
import gibbon.GibbonVersion;
import gibbon.attack.AttackPlan;
import gibbon.attack.AttackSweep;
import gibbon.config.ExperimentConfig;
import gibbon.data.Example;
import gibbon.metrics.RobustAccuracy;
import gibbon.model.Classifier;
import gibbon.model.ClassifierCache;
import gibbon.model.ModelMetadata;
import gibbon.model.ModelSpec;
import java.io.PrintStream;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * The robustness sweep, end to end: check the dataset and model on the driver, read the examples
 * on the executors, attack them with the executor-resident model, certify them by randomized
 * smoothing when {@code certify.enabled} ({@link CertifyStage}), and publish the run. Each table
 * gets one atomic Iceberg commit per run, so readers never see half a run; {@code runs} records the
 * run as {@code running} while the attack starts and as {@code succeeded} or {@code failed} at the
 * end.
 *
 * <p>A job of several models ({@code models}, {@link ExperimentConfig#manyModels}) checks every
 * model first, reads and partitions the examples once (persisted, memory then disk) and runs the
 * models one after another over those partitions, each as a run of its own: one model at a time
 * on the executors, so a model cache with room for one model loads each model once per executor.
 */
public final class RobustnessJob {
    /** What a finished run reports. */
    public record Outcome(String runId, long examples, List<RobustAccuracy> summary, double seconds) {}

    /**
     * One model's run in a job.
     *
     * @param name the model's name ('model', or its entry under {@code models})
     * @param loads by executor id: the times that executor's cache loaded the model for the run's tasks
     */
    public record ModelRun(String name, String uri, Outcome outcome, Map<String, Long> loads) {}

    /**
     * What a finished job reports.
     *
     * @param examplesRead examples read from the dataset for the attacks, all models together
     * @param peakCacheBytes by executor id: the most bytes of models its cache held open at once
     * @param cacheBudget {@code sweep.model-cache-bytes}; 0 = no limit
     */
    public record JobOutcome(List<ModelRun> runs, long examples, long examplesRead, Map<String, Long> peakCacheBytes,
            long cacheBudget, double seconds) {}

    /** Examples the driver judges before a run starts, to catch a model that returns NaN on real inputs. */
    private static final int PROBE_EXAMPLES = 64;

    private final ExperimentConfig config;
    private final PrintStream out;
    private final String runId;
    private final boolean newRun;
    private final boolean resume;
    private SparkSession spark;

    /**
     * @param runId the run's id; null for a new one. Rerunning an id (after a crash) replaces
     *     every row that id has, so each row ends up exactly once.
     * @param resume keep the attack units that an interrupted attempt of {@code runId} finished
     */
    public RobustnessJob(ExperimentConfig config, PrintStream out, String runId, boolean resume) {
        if (config.manyModels() && runId != null) {
            throw GibbonException.config((resume ? "--resume " : "--run-id ") + runId + ": the config names "
                    + config.modelNames().size() + " models (" + String.join(", ", config.modelNames())
                    + "), each a run of its own under a new id; --run-id and --resume take a config of one model");
        }
        this.config = GibbonSpark.withSparkHadoop(config);
        this.out = out;
        this.runId = runId == null ? newRunId() : runId;
        this.newRun = runId == null;
        this.resume = resume;
    }

    /** Runs a one-model job. */
    public Outcome run() {
        if (config.manyModels()) {
            throw new IllegalStateException("a job of several models: runJob()");
        }
        return runJob().runs().get(0).outcome();
    }

    /** Runs every model of the job, one run each, and reports them. */
    public JobOutcome runJob() {
        long start = System.nanoTime();
        config.requireInputs();
        // Before the model loads, so that a result catalog that is down fails the run in seconds.
        ResultCatalog.requireReachable(config);
        List<String> names = config.modelNames();
        Map<String, ModelMetadata> models = new LinkedHashMap<>();
        Map<String, Long> sizes = new HashMap<>();
        ExampleSource source = null;
        List<Example> probes = null;
        SparkSession spark = null;
        long n = 0;
        // A one-model job keeps its model leased from the JVM's cache, which local-mode tasks then share;
        // a job of several checks each model on a copy of its own that it closes, leaving the caches to the attacks.
        ClassifierCache.Lease held = null;
        try {
            for (String name : names) {
                ExperimentConfig run = config.forModel(name);
                Classifier classifier;
                if (config.manyModels()) {
                    classifier = ClassifierCache.loadUncached(run.model(), Device.cpu(), config.threads(), config.hadoop(),
                            config.modelCacheBytes());
                } else {
                    held = ClassifierCache.lease(run.model(), Device.cpu(), config.threads(), config.hadoop(),
                            config.modelCacheBytes());
                    classifier = held.classifier();
                }
                try {
                    ModelMetadata model = classifier.metadata();
                    if (source == null) {
                        // IDX and Arrow files are checked before Spark starts; folders and tables need it to list them.
                        source = ExampleSource.open(this::spark, config.dataset(), model.inputShape(), config.hadoop());
                    }
                    checkCompatible(run, source, model);
                    ModelMetadata first = models.isEmpty() ? model : models.values().iterator().next();
                    if (!Arrays.equals(model.inputShape(), first.inputShape())) {
                        throw GibbonException.model(run.model().uri() + ": model '" + name + "' ("
                                + ExperimentConfig.uriKey(name) + ") takes input " + Arrays.toString(model.inputShape())
                                + ", model '" + names.get(0) + "' " + Arrays.toString(first.inputShape())
                                + "; the models of one job attack the same examples");
                    }
                    if (spark == null) {
                        spark = spark();
                        DevicePreflight.check(spark, config).ifPresent(device -> out.println("device: " + device));
                        int limit = config.dataset().limit();
                        n = limit == 0 ? source.size() : Math.min(limit, source.size());
                        probes = source.head(spark, (int) Math.min(n, PROBE_EXAMPLES));
                        out.printf("dataset: %s, %d of %d examples%s%n", source.uri(), n, source.size(), n < source.size()
                                ? " (limited by dataset.limit = " + limit + "; --set dataset.limit=0 for all)" : "");
                    }
                    new AttackSweep(classifier, config.attacks(), config.seed(), config.batchSize()).probe(probes);
                    out.printf("model%s: %s (%s, %d classes, input %s)%n", config.manyModels() ? " " + name : "",
                            run.model().uri(), model.architecture(), model.numClasses(), Arrays.toString(model.inputShape()));
                    models.put(name, model);
                    sizes.put(name, ClassifierCache.residentBytes(classifier));
                } finally {
                    if (config.manyModels()) {
                        classifier.close();
                    }
                }
            }
            return attackAll(spark, source, n, models, sizes, start);
        } finally {
            if (held != null) {
                held.close();
            }
        }
    }

    /** Every model's run over the same examples: read once and persisted when there are several models. */
    private JobOutcome attackAll(SparkSession spark, ExampleSource source, long n, Map<String, ModelMetadata> models,
            Map<String, Long> sizes, long start) {
        ResultTables tables = new ResultTables(spark, config);
        tables.createIfMissing();
        int partitions = partitions(spark, n);
        LongAccumulator read = spark.sparkContext().longAccumulator("examples read");
        Dataset<Row> shared = null;
        Supplier<Dataset<Row>> examples = () -> source.rows(spark, n, partitions);
        if (config.manyModels()) {
            shared = source.rows(spark, n, partitions)
                    .mapPartitions(new CountExamples(read), Encoders.row(ExampleSource.SCHEMA))
                    .persist(StorageLevel.MEMORY_AND_DISK());
            Dataset<Row> persisted = shared;
            examples = () -> persisted;
            out.printf("examples: %d in %s, read once for %d models (persisted, memory then disk)%n", n,
                    partitionCount(partitions), models.size());
        }
        List<ModelRun> runs = new ArrayList<>();
        Map<String, Long> peakBytes = new TreeMap<>();
        try {
            String id = runId;
            for (Map.Entry<String, ModelMetadata> m : models.entrySet()) {
                ExperimentConfig run = config.forModel(m.getKey());
                CollectionAccumulator<SweepPartition.CacheReport> reports = spark.sparkContext()
                        .collectionAccumulator("model cache of " + m.getKey());
                Outcome outcome = runModel(spark, tables, run, m.getKey(), m.getValue(), sizes.get(m.getKey()), source,
                        examples, n, partitions, id, reports);
                Map<String, Long> loads = new TreeMap<>();
                for (SweepPartition.CacheReport r : reports.value()) {
                    loads.merge(r.executor(), r.loaded() ? 1L : 0L, Long::sum);
                    peakBytes.merge(r.executor(), r.peakBytes(), Math::max);
                }
                runs.add(new ModelRun(m.getKey(), run.model().uri(), outcome, loads));
                id = newRunId();
            }
        } finally {
            if (shared != null) {
                shared.unpersist();
            }
        }
        return new JobOutcome(runs, n, config.manyModels() ? read.value() : n, peakBytes, config.modelCacheBytes(),
                (System.nanoTime() - start) / 1e9);
    }

    /**
     * One model's run: its {@code runs} row, attack, summary, transfer and certification stages.
     *
     * @param modelBytes the model's resident bytes as the driver's check measured them
     */
    private Outcome runModel(SparkSession spark, ResultTables tables, ExperimentConfig run, String name,
            ModelMetadata model, long modelBytes, ExampleSource source, Supplier<Dataset<Row>> examples, long n,
            int partitions, String runId, CollectionAccumulator<SweepPartition.CacheReport> reports) {
        long start = System.nanoTime();
        if (resume) {
            String stored = tables.storedConfig(runId);
            if (stored == null) {
                throw GibbonException.config("--resume " + runId + ": no such run in " + tables.name(ResultTables.RUNS));
            }
            if (!stored.equals(run.resolvedJson())) {
                throw GibbonException.config("--resume " + runId + ": the run was started with another config;"
                        + " resume with the same config and --set options");
            }
        } else if (!newRun) {
            // A fresh id has nothing staged; a rerun id may have rows of its crashed attempt.
            tables.deleteRun(ResultTables.PENDING_PREDICTIONS, runId);
        }
        Timestamp startedAt = Timestamp.from(Instant.now());
        out.println("run: " + runId + (config.manyModels() ? " (model: " + name + ")" : ""));
        out.flush();
        String master = spark.sparkContext().master();
        Row running = new TableRow(ResultTables.RUNS_SCHEMA)
                .set("run_id", runId)
                .set("started_at", startedAt)
                .set("status", "running")
                .set("gibbon_version", GibbonVersion.get())
                .set("config", run.resolvedJson())
                .set("model_uri", run.model().uri())
                .set("model_sha256", model.sha256())
                .set("dataset_uri", source.uri())
                .set("n_examples", n)
                .set("spark_master", master)
                .set("executors", executors(spark))
                .set("class_names", model.classNames())
                .build();
        // The running row is committed beside the attack instead of before it (a commit is about half a
        // second); if it fails, the attack is cancelled rather than left to run for nothing.
        String tag = "gibbon-run-" + runId;
        spark.sparkContext().addJobTag(tag);
        CompletableFuture<Void> recorded = CompletableFuture.runAsync(() -> tables.recordRun(running), RobustnessJob::daemon)
                .whenComplete((ok, failure) -> {
                    if (failure != null) {
                        spark.sparkContext().cancelJobsWithTag(tag, "recording the run in " + tables.name(ResultTables.RUNS)
                                + " failed");
                    }
                });
        try {
            attack(spark, tables, new Stage(run, examples, runId, reports, modelBytes), n, partitions, model.inputShape());
            List<RobustAccuracy> summary = summarise(spark, tables, runId);
            if (!run.transferSources().isEmpty()) {
                transfer(spark, tables, source, n, runId, model);
            }
            if (run.certify().enabled()) {
                new CertifyStage(run, out).run(spark, tables, examples.get(), n, model.numClasses(), runId);
            }
            recorded.join();
            finish(spark, tables, running, "succeeded");
            return new Outcome(runId, n, summary, (System.nanoTime() - start) / 1e9);
        } catch (RuntimeException e) {
            // Wait for the running row, so that it cannot land after (and replace) the failed one.
            Throwable notRecorded = recorded.handle((ok, failure) -> failure).join();
            if (notRecorded != null) {
                // A cancelled attack is only the consequence: report why the run could not be recorded.
                Throwable why = notRecorded instanceof CompletionException && notRecorded.getCause() != null
                        ? notRecorded.getCause() : notRecorded;
                RuntimeException cause = why instanceof RuntimeException r ? r : new IllegalStateException(why);
                if (e != notRecorded) {
                    cause.addSuppressed(e);
                }
                throw cause;
            }
            try {
                finish(spark, tables, running, "failed");
            } catch (RuntimeException recording) {
                e.addSuppressed(recording);
            }
            throw e;
        } finally {
            spark.sparkContext().removeJobTag(tag);
        }
    }

    /** Runs a task on a thread of its own, one that never keeps the JVM alive. */
    private static void daemon(Runnable task) {
        Thread thread = new Thread(task, "gibbon-record-run");
        thread.setDaemon(true);
        thread.start();
    }

    private SparkSession spark() {
        if (spark == null) {
            spark = GibbonSpark.session(config);
        }
        return spark;
    }

    private static void checkCompatible(ExperimentConfig run, ExampleSource source, ModelMetadata model) {
        if (source.shape() != null && !Arrays.equals(source.shape(), model.inputShape())) {
            throw GibbonException.model(run.model().uri() + ": model expects input " + Arrays.toString(model.inputShape())
                    + " but " + source.uri() + " holds images " + Arrays.toString(source.shape()));
        }
        int[] labels = source.labelRange();
        if (labels[0] < 0 || labels[1] >= model.numClasses()) {
            throw GibbonException.data(source.labelsUri() + ": labels span [" + labels[0] + ", " + labels[1]
                    + "], outside the model's " + model.numClasses() + " classes");
        }
    }

    /**
     * The attack stage, one resumable unit per attack entry: each unit's rows are committed to
     * {@code pending_predictions} as it finishes (a resumed run keeps the units it finds complete),
     * then the whole run is published to {@code predictions} in one commit, and the sampled
     * examples' adversarial inputs to {@code adversarial_examples} in another. The last unit's rows
     * go straight into the publishing commit, as staging them would only copy them once more,
     * unless adversarial inputs are sampled: those rows feed two tables, so every unit is staged.
     */
    private void attack(SparkSession spark, ResultTables tables, Stage stage, long n, int partitions, int[] shape) {
        String runId = stage.runId();
        int perExample = config.attacks().stream().mapToInt(p -> p.epsilons().size()).sum();
        out.printf("attack: %d examples x %d (attack, epsilon) pairs in %s, batch %d%n", n, perExample,
                partitionCount(partitions), config.batchSize());
        List<AttackPlan> open = new ArrayList<>();
        for (AttackPlan plan : config.attacks()) {
            if (resume && tables.rows(ResultTables.PENDING_PREDICTIONS, runId, plan.label()) == n * plan.epsilons().size()) {
                out.printf("attack %s: finished by an earlier attempt, kept%n", plan.label());
            } else {
                open.add(plan);
            }
        }
        AttackPlan direct = config.adversarialFraction() == 0 && !open.isEmpty() ? open.get(open.size() - 1) : null;
        for (AttackPlan plan : open) {
            if (plan != direct) {
                LongAccumulator done = spark.sparkContext().longAccumulator("examples attacked by " + plan.label());
                Dataset<Row> rows = attackRows(stage, plan, done);
                withProgress(spark, done, n, plan, () -> tables.replaceRun(ResultTables.PENDING_PREDICTIONS, rows));
            }
        }
        // Staged rows: units of this attempt other than the direct one, or those a rerun id's earlier attempt left.
        boolean staged = !newRun || open.size() > (direct == null ? 0 : 1);
        String[] columns = ResultTables.PREDICTIONS_SCHEMA.fieldNames();
        Dataset<Row> pending = staged
                ? spark.table(tables.name(ResultTables.PENDING_PREDICTIONS)).where("run_id = '" + runId + "'") : null;
        if (direct == null) {
            tables.replaceRun(ResultTables.PREDICTIONS, pending.selectExpr(columns));
        } else {
            LongAccumulator done = spark.sparkContext().longAccumulator("examples attacked by " + direct.label());
            Dataset<Row> rows = attackRows(stage, direct, done).selectExpr(columns);
            Dataset<Row> all = pending == null ? rows : pending.selectExpr(columns).union(rows);
            withProgress(spark, done, n, direct, () -> tables.replaceRun(ResultTables.PREDICTIONS, all));
        }
        // Without sampled examples there is nothing to write: skip the scan and the empty commit.
        if (config.adversarialFraction() > 0) {
            tables.replaceRun(ResultTables.ADVERSARIAL_EXAMPLES, pending.where("adversarial IS NOT NULL").selectExpr("run_id",
                    "example_id", "label", "attack", "norm", "epsilon", "predicted", "correct", "confidence",
                    "array(" + shape[0] + ", " + shape[1] + ", " + shape[2] + ") AS shape", "adversarial AS tensor"));
        }
        if (staged) {
            tables.deleteRun(ResultTables.PENDING_PREDICTIONS, runId);
        }
    }

    /** One attack entry's {@code pending_predictions} rows; {@code done} counts the examples attacked. */
    private static Dataset<Row> attackRows(Stage stage, AttackPlan plan, LongAccumulator done) {
        return stage.examples().get().mapPartitions(new SweepPartition(stage.run(), List.of(plan), stage.runId(), done,
                stage.reports(), stage.modelBytes()), Encoders.row(ResultTables.PENDING_SCHEMA));
    }

    /**
     * What the attack stage of one model's run works with.
     *
     * @param run the run's config
     * @param examples the examples, as partitioned for every model of the job
     * @param reports receives what each task found in its executor's model cache
     * @param modelBytes the model's resident bytes as the driver measured them
     */
    private record Stage(ExperimentConfig run, Supplier<Dataset<Row>> examples, String runId,
            CollectionAccumulator<SweepPartition.CacheReport> reports, long modelBytes) {}

    /** Runs a write that computes an attack's rows, reporting the attack's progress meanwhile. */
    private void withProgress(SparkSession spark, LongAccumulator done, long n, AttackPlan plan, Runnable write) {
        try (ProgressReporter progress = new ProgressReporter(spark.sparkContext(), done, n, "attack " + plan.label(),
                out)) {
            write.run();
        }
    }

    /** Counts the examples read from the dataset, passing them on unchanged. */
    private record CountExamples(LongAccumulator read) implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public Row next() {
                    read.add(1);
                    return rows.next();
                }
            };
        }
    }

    /**
     * Crafts on every source model and judges on every target; writes the transfer rows and their
     * summary, one commit each.
     */
    private void transfer(SparkSession spark, ResultTables tables, ExampleSource source, long n, String runId,
            ModelMetadata main) {
        Map<String, String> sha256 = new TreeMap<>();
        for (Map.Entry<String, ModelSpec> e : config.transferModels().entrySet()) {
            if (!config.transferSources().contains(e.getKey()) && !config.transferTargets().contains(e.getKey())) {
                continue;
            }
            ModelMetadata m;
            try (ClassifierCache.Lease lease = ClassifierCache.lease(e.getValue(), Device.cpu(), config.threads(),
                    config.hadoop(), config.modelCacheBytes())) {
                m = lease.classifier().metadata();
            }
            if (!Arrays.equals(m.inputShape(), main.inputShape()) || m.numClasses() != main.numClasses()) {
                throw GibbonException.model(e.getValue().uri() + ": transfer model '" + e.getKey() + "' takes "
                        + Arrays.toString(m.inputShape()) + " to " + m.numClasses() + " classes, the main model "
                        + Arrays.toString(main.inputShape()) + " to " + main.numClasses());
            }
            sha256.put(e.getKey(), m.sha256());
        }
        int partitions = partitions(spark, n);
        Dataset<Row> rows = null;
        for (String s : config.transferSources()) {
            Dataset<Row> crafted = source.rows(spark, n, partitions).mapPartitions(
                    new TransferPartition(config, runId, s, sha256), Encoders.row(ResultTables.TRANSFER_SCHEMA));
            rows = rows == null ? crafted : rows.union(crafted);
        }
        out.printf("transfer: %s -> %s%n", config.transferSources(), config.transferTargets());
        tables.replaceRun(ResultTables.TRANSFER, rows);
        List<Row> counts = spark.sql("SELECT source_model, target_model, attack, norm, epsilon, count(*), count_if(correct),"
                + " count_if(target_clean_correct), count_if(target_clean_correct AND NOT correct) FROM "
                + tables.name(ResultTables.TRANSFER) + " WHERE run_id = '" + runId + "'"
                + " GROUP BY source_model, target_model, attack, norm, epsilon").collectAsList();
        List<Row> summary = new ArrayList<>();
        for (Row r : counts) {
            RobustAccuracy s = RobustAccuracy.of(r.getString(2), r.getString(3), r.getDouble(4), r.getLong(5), r.getLong(6),
                    r.getLong(7), r.getLong(8), 0);
            summary.add(ResultTables.transferSummaryRow(runId, r.getString(0), r.getString(1), s));
        }
        tables.replaceRun(ResultTables.TRANSFER_SUMMARY, spark.createDataFrame(summary, ResultTables.TRANSFER_SUMMARY_SCHEMA));
    }

    /** "1 partition", "4 partitions". */
    private static String partitionCount(int partitions) {
        return partitions + (partitions == 1 ? " partition" : " partitions");
    }

    /**
     * {@code dataset.partitions}, or by default one partition per task slot and up to two, so that a
     * slow partition leaves the others room to balance, but the second only where each partition
     * still fills a batch: the model calls of an iterative attack see the rows of one partition's
     * batch that are still robust, and halving them costs more than the balance gains (AutoAttack,
     * 200 examples on local[2]: 48 s in 2 partitions, 64 s in 4). At most 4096 examples a partition.
     */
    private int partitions(SparkSession spark, long n) {
        long slots = spark.sparkContext().defaultParallelism();
        long batches = (n + config.batchSize() - 1) / config.batchSize();
        long partitions = config.dataset().partitions() > 0 ? config.dataset().partitions()
                : Math.max(Math.max(slots, Math.min(2 * slots, batches)), (n + 4095) / 4096);
        return (int) Math.max(1, Math.min(partitions, n));
    }

    private List<RobustAccuracy> summarise(SparkSession spark, ResultTables tables, String runId) {
        List<Row> counts = spark.sql("SELECT attack, norm, epsilon, count(*), count_if(correct), count_if(clean_correct),"
                + " count_if(clean_correct AND NOT correct), sum(confidence) FROM " + tables.name(ResultTables.PREDICTIONS)
                + " WHERE run_id = '" + runId + "' GROUP BY attack, norm, epsilon").collectAsList();
        List<RobustAccuracy> summary = new ArrayList<>();
        for (Row r : counts) {
            summary.add(RobustAccuracy.of(r.getString(0), r.getString(1), r.getDouble(2), r.getLong(3), r.getLong(4),
                    r.getLong(5), r.getLong(6), r.getDouble(7)));
        }
        summary.sort(Comparator.comparing(RobustAccuracy::attack).thenComparing(RobustAccuracy::epsilon));
        List<Row> rows = summary.stream().map(s -> ResultTables.summaryRow(runId, s)).toList();
        tables.replaceRun(ResultTables.SUMMARY, spark.createDataFrame(rows, ResultTables.SUMMARY_SCHEMA));
        return summary;
    }

    /** Replaces the run's {@code running} row with its final one (one commit, no row-level update). */
    private static void finish(SparkSession spark, ResultTables tables, Row running, String status) {
        tables.recordRun(TableRow.copyOf(ResultTables.RUNS_SCHEMA, running)
                .set("finished_at", Timestamp.from(Instant.now()))
                .set("status", status)
                .set("executors", executors(spark))
                .build());
    }

    /** Executors registered now (the driver is not one, except in local mode where it is the only one). */
    private static int executors(SparkSession spark) {
        return spark.sparkContext().master().startsWith("local") ? 1
                : Math.max(1, spark.sparkContext().statusTracker().getExecutorInfos().length - 1);
    }

    private static String newRunId() {
        return DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now()) + "-"
                + String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
    }
}
