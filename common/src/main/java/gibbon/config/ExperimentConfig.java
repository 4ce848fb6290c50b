package gibbon.config;

import gibbon.attack.AttackPlan;
import gibbon.data.DatasetSpec;
import gibbon.io.Storage;
import gibbon.model.ModelSpec;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A validated experiment: everything a run needs, checked before Spark starts. Serializable, so
 * Spark ships it to executors. Load it with {@link ConfigLoader}.
 *
 * @param transferModels every model a transfer attack names, by name ('model' is the main model)
 * @param transferSources models to craft on; empty: no transfer attacks
 * @param transferTargets models to evaluate the crafted examples on
 * @param adversarialFraction share of examples whose adversarial inputs are stored
 * @param resolvedJson the whole resolved config (defaults included) as JSON, recorded in
 *     {@code runs.config}
 */
public record ExperimentConfig(
        long seed,
        DatasetSpec dataset,
        ModelSpec model,
        String modelDevice,
        int batchSize,
        int threads,
        List<AttackPlan> attacks,
        String sparkMaster,
        Map<String, String> sparkConf,
        String catalog,
        String catalogType,
        String warehouse,
        String namespace,
        double adversarialFraction,
        Map<String, String> catalogProperties,
        Map<String, String> hadoop,
        Map<String, ModelSpec> transferModels,
        List<String> transferSources,
        List<String> transferTargets,
        String resolvedJson)
        implements Serializable {

    /** This config with another set of Hadoop properties for Gibbon's own reads. */
    public ExperimentConfig withHadoop(Map<String, String> properties) {
        return new ExperimentConfig(seed, dataset, model, modelDevice, batchSize, threads, attacks, sparkMaster, sparkConf,
                catalog, catalogType, warehouse, namespace, adversarialFraction, catalogProperties, Map.copyOf(properties),
                transferModels, transferSources, transferTargets, resolvedJson);
    }

    /**
     * A location the config names that must exist before a run starts.
     *
     * @param key the config key naming it, e.g. {@code dataset.images}
     */
    public record Input(String key, String location, Storage.Expect expect) {}

    /** The dataset and model locations a run reads, each with what it must be (file or directory). */
    public List<Input> inputs() {
        List<Input> inputs = new ArrayList<>();
        switch (dataset.format()) {
            case DatasetSpec.IDX -> {
                inputs.add(new Input("dataset.images", dataset.images(), Storage.Expect.FILE));
                inputs.add(new Input("dataset.labels", dataset.labels(), Storage.Expect.FILE));
            }
            case DatasetSpec.IMAGE_FOLDER -> inputs.add(new Input("dataset.path", dataset.path(), Storage.Expect.DIRECTORY));
            case DatasetSpec.ARROW -> inputs.add(new Input("dataset.path", dataset.path(), Storage.Expect.FILE));
            default -> inputs.add(new Input("dataset.path", dataset.path(), Storage.Expect.FILE_OR_DIRECTORY));
        }
        for (Map.Entry<String, ModelSpec> m : transferModels.entrySet()) {
            if (m.getKey().equals(Settings.MAIN_MODEL) || transferSources.contains(m.getKey())
                    || transferTargets.contains(m.getKey())) {
                String key = m.getKey().equals(Settings.MAIN_MODEL) ? "model.uri" : "transfer.models." + m.getKey() + ".uri";
                inputs.add(new Input(key, m.getValue().uri(), m.getValue().format().equals(ModelSpec.DJL)
                        ? Storage.Expect.DIRECTORY : Storage.Expect.FILE));
            }
        }
        return inputs;
    }

    /**
     * Checks that every dataset and model location the config names exists and is a file or a
     * directory as its format needs: seconds of checking, before any model loads or Spark starts.
     *
     * @throws gibbon.GibbonException of kind CONFIG naming the key
     */
    public void requireInputs() {
        inputs().forEach(i -> Storage.requireExists(i.key(), i.location(), i.expect(), hadoop));
    }
}
