package gibbon.jobs;

import ai.djl.Device;
import gibbon.attack.AdversarialSample;
import gibbon.attack.AttackPlan;
import gibbon.attack.AttackSweep;
import gibbon.config.ExperimentConfig;
import gibbon.metrics.PredictionRecord;
import gibbon.model.Classifier;
import gibbon.model.ClassifierCache;
import gibbon.model.DeviceChoice;
import gibbon.model.ModelSpec;
import gibbon.model.TorchNatives;
import gibbon.model.TorchRuntime;
import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.TaskCompletionListener;

/**
 * The attack stage on one partition: leases the executor-resident model for the task's device from
 * the executor's {@link ClassifierCache} (released when the task ends), runs the sweep over the
 * partition's examples and yields {@code pending_predictions} rows: predictions, plus the
 * adversarial inputs of the sampled examples.
 */
final class SweepPartition implements MapPartitionsFunction<Row, Row> {
    /**
     * What a task found in its executor's model cache.
     *
     * @param executor the executor's id ({@code driver} in local mode)
     * @param loaded whether the task loaded the model, rather than finding it cached
     * @param peakBytes the most bytes of models the executor's cache has held open at once
     */
    record CacheReport(String executor, boolean loaded, long peakBytes) implements Serializable {}

    private final ExperimentConfig config;
    private final List<AttackPlan> plans;
    private final String runId;
    private final LongAccumulator examplesDone;
    private final CollectionAccumulator<CacheReport> cacheReports;
    private final long modelBytes;

    /**
     * @param plans the attacks of this stage (one unit of a resumable run)
     * @param cacheReports receives one {@link CacheReport} per task
     * @param modelBytes the model's resident bytes as the driver measured them, so that the
     *     executor's cache makes room before loading it; 0 = unknown
     */
    SweepPartition(ExperimentConfig config, List<AttackPlan> plans, String runId, LongAccumulator examplesDone,
            CollectionAccumulator<CacheReport> cacheReports, long modelBytes) {
        this.config = config;
        this.plans = List.copyOf(plans);
        this.runId = runId;
        this.examplesDone = examplesDone;
        this.cacheReports = cacheReports;
        this.modelBytes = modelBytes;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        Device device = device(config).device();
        ClassifierCache.Lease lease = lease(config, config.model(), device, modelBytes);
        cacheReports.add(new CacheReport(SparkEnv.get().executorId(), lease.loaded(),
                ClassifierCache.shared().peakBytes()));
        Classifier model = lease.classifier();
        AttackSweep sweep = new AttackSweep(model, plans, config.seed(), config.batchSize(),
                new AdversarialSample(config.seed(), config.adversarialFraction()));
        Iterator<PredictionRecord> records = sweep.run(ExampleSource.examples(rows), examplesDone::add);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return records.hasNext();
            }

            @Override
            public Row next() {
                return ResultTables.pendingPredictionRow(runId, records.next());
            }
        };
    }

    /**
     * A lease on a model in the executor's cache, under the config's budget, released when the
     * running task ends (succeeded, failed or cancelled); without a task it is never released.
     */
    static ClassifierCache.Lease lease(ExperimentConfig config, ModelSpec spec, Device device) {
        return lease(config, spec, device, 0);
    }

    /** As {@link #lease(ExperimentConfig, ModelSpec, Device)}, for a model of known size ({@code 0} = unknown). */
    static ClassifierCache.Lease lease(ExperimentConfig config, ModelSpec spec, Device device, long expectedBytes) {
        ClassifierCache.Lease lease = ClassifierCache.lease(spec, device, config.threads(), config.hadoop(),
                config.modelCacheBytes(), expectedBytes, config.modelReplicas());
        TaskContext task = TaskContext.get();
        if (task != null) {
            task.addTaskCompletionListener((TaskCompletionListener) context -> lease.close());
        }
        return lease;
    }

    /**
     * The task's device: the config's model.device against this executor's natives and the GPU
     * Spark assigned to the task. A GPU the natives cannot use fails the task here, before any
     * model loads or attack starts (the run's {@link DevicePreflight} decides the same way first).
     */
    static DeviceChoice.Choice device(ExperimentConfig config) {
        return DeviceChoice.choose(config.modelDevice(), TorchNatives.of(TorchRuntime.start(config.threads())),
                assignedGpu());
    }

    static Optional<String> assignedGpu() {
        TaskContext task = TaskContext.get();
        if (task == null) {
            return Optional.empty();
        }
        scala.Option<ResourceInformation> gpu = task.resources().get("gpu");
        if (gpu.isEmpty() || gpu.get().addresses().length == 0) {
            return Optional.empty();
        }
        return Optional.of(gpu.get().addresses()[0]);
    }
}
