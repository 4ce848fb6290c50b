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
 * A validated experiment: everything a run needs, checked before Spark starts, made of the parts of
 * the config, each parsed and checked by its own class. Serializable, so Spark ships it to
 * executors. Load it with {@link ConfigLoader}.
 *
 * @param seed the run's seed ({@code run.seed})
 * @param dataset the examples to attack ({@link DatasetSettings})
 * @param modelSettings the model under attack and its device
 * @param sweep how executors batch the examples
 * @param attacks the enabled attack entries ({@link AttackSettings})
 * @param spark the Spark master and properties
 * @param output where the result tables go
 * @param transfer the models of transfer attacks
 * @param hadoop Hadoop properties for Gibbon's own reads
 * @param certify randomized smoothing certification ({@link CertifySettings})
 * @param resolvedJson the whole resolved config (defaults included) as JSON, recorded in
 *     {@code runs.config}
 */
public record ExperimentConfig(
        long seed,
        DatasetSpec dataset,
        ModelSettings modelSettings,
        SweepSettings sweep,
        List<AttackPlan> attacks,
        SparkSettings spark,
        OutputSettings output,
        TransferSettings transfer,
        Map<String, String> hadoop,
        CertifySettings certify,
        String resolvedJson)
        implements Serializable {

    public ModelSpec model() {
        return modelSettings.spec();
    }

    public String modelDevice() {
        return modelSettings.device();
    }

    public int batchSize() {
        return sweep.batchSize();
    }

    public int threads() {
        return sweep.threads();
    }

    public String sparkMaster() {
        return spark.master();
    }

    public Map<String, String> sparkConf() {
        return spark.conf();
    }

    public String catalog() {
        return output.catalog();
    }

    public String catalogType() {
        return output.catalogType();
    }

    public String warehouse() {
        return output.warehouse();
    }

    public String namespace() {
        return output.namespace();
    }

    /** Share of examples whose adversarial inputs are stored. */
    public double adversarialFraction() {
        return output.adversarialFraction();
    }

    public Map<String, String> catalogProperties() {
        return output.catalogProperties();
    }

    /** Every model a transfer attack names, by name ('model' is the main model). */
    public Map<String, ModelSpec> transferModels() {
        return transfer.models();
    }

    /** Models to craft on; empty: no transfer attacks. */
    public List<String> transferSources() {
        return transfer.sources();
    }

    /** Models to evaluate the crafted examples on. */
    public List<String> transferTargets() {
        return transfer.targets();
    }

    /** This config with other Spark settings. */
    public ExperimentConfig withSpark(SparkSettings settings) {
        return new ExperimentConfig(seed, dataset, modelSettings, sweep, attacks, settings, output, transfer, hadoop,
                certify, resolvedJson);
    }

    /** This config with another set of Hadoop properties for Gibbon's own reads. */
    public ExperimentConfig withHadoop(Map<String, String> properties) {
        return new ExperimentConfig(seed, dataset, modelSettings, sweep, attacks, spark, output, transfer,
                Map.copyOf(properties), certify, resolvedJson);
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
        for (Map.Entry<String, ModelSpec> m : transferModels().entrySet()) {
            if (m.getKey().equals(Settings.MAIN_MODEL) || transferSources().contains(m.getKey())
                    || transferTargets().contains(m.getKey())) {
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
