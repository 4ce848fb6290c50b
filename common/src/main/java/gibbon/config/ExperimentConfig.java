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
 * @param jobModels more models the same job attacks, each a run of its own ({@link JobModels})
 * @param resolvedJson the whole resolved config (defaults included) as JSON, recorded in
 *     {@code runs.config}; for a job of several models, that of the run of 'model'
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
        JobModels jobModels,
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

    /** The most parameter bytes of models an executor keeps loaded; 0 = no limit. */
    public long modelCacheBytes() {
        return sweep.modelCacheBytes();
    }

    /** The most copies of one model an executor holds ({@code sweep.model-replicas}). */
    public int modelReplicas() {
        return sweep.modelReplicas();
    }

    /** The job's models by name: 'model' first, then the entries of {@code models} by name. */
    public List<String> modelNames() {
        List<String> names = new ArrayList<>();
        names.add(Settings.MAIN_MODEL);
        names.addAll(jobModels.models().keySet());
        return names;
    }

    /** Whether the job attacks more models than 'model'. */
    public boolean manyModels() {
        return !jobModels.models().isEmpty();
    }

    /** A model of the job by name ({@link #modelNames}). */
    public ModelSpec model(String name) {
        return name.equals(Settings.MAIN_MODEL) ? model() : jobModels.models().get(name);
    }

    /** The config key naming a model of the job, e.g. {@code models.resnet20.uri}. */
    public static String uriKey(String name) {
        return name.equals(Settings.MAIN_MODEL) ? Settings.MODEL_URI.path() : Settings.MODELS.path() + "." + name + ".uri";
    }

    /**
     * The config of one model's run in a job of several: the one-model config with {@code model}
     * set to that model, recording what such a run records.
     */
    public ExperimentConfig forModel(String name) {
        if (!manyModels()) {
            return this;
        }
        ModelSpec spec = model(name);
        if (spec == null) {
            throw new IllegalArgumentException("no model named '" + name + "' in " + modelNames());
        }
        return new ExperimentConfig(seed, dataset, new ModelSettings(spec, modelSettings.device()), sweep, attacks, spark,
                output, new TransferSettings(Map.of(Settings.MAIN_MODEL, spec), List.of(), List.of()), hadoop, certify,
                JobModels.NONE, jobModels.recorded().get(name));
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
                certify, jobModels, resolvedJson);
    }

    /** This config with another set of Hadoop properties for Gibbon's own reads. */
    public ExperimentConfig withHadoop(Map<String, String> properties) {
        return new ExperimentConfig(seed, dataset, modelSettings, sweep, attacks, spark, output, transfer,
                Map.copyOf(properties), certify, jobModels, resolvedJson);
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
                inputs.add(new Input(key, m.getValue().uri(), expect(m.getValue())));
            }
        }
        for (Map.Entry<String, ModelSpec> m : jobModels.models().entrySet()) {
            inputs.add(new Input(uriKey(m.getKey()), m.getValue().uri(), expect(m.getValue())));
        }
        return inputs;
    }

    private static Storage.Expect expect(ModelSpec model) {
        return model.format().equals(ModelSpec.DJL) ? Storage.Expect.DIRECTORY : Storage.Expect.FILE;
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
