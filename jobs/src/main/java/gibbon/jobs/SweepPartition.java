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
import gibbon.model.TorchNatives;
import gibbon.model.TorchRuntime;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;

/**
 * The attack stage on one partition: takes the executor-resident model for the task's device, runs
 * the sweep over the partition's examples and yields {@code pending_predictions} rows: predictions,
 * plus the adversarial inputs of the sampled examples.
 */
final class SweepPartition implements MapPartitionsFunction<Row, Row> {
    private final ExperimentConfig config;
    private final List<AttackPlan> plans;
    private final String runId;
    private final LongAccumulator examplesDone;

    /** @param plans the attacks of this stage (one unit of a resumable run) */
    SweepPartition(ExperimentConfig config, List<AttackPlan> plans, String runId, LongAccumulator examplesDone) {
        this.config = config;
        this.plans = List.copyOf(plans);
        this.runId = runId;
        this.examplesDone = examplesDone;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        Device device = device(config).device();
        Classifier model = ClassifierCache.get(config.model(), device, config.threads(), config.hadoop());
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
