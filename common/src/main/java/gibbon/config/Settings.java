package gibbon.config;

import gibbon.config.ConfigKey.Type;
import java.util.List;

/**
 * The declaration of every experiment setting: path, type and meaning; the defaults are in
 * {@code reference.conf} ({@link ReferenceConfig}); attack parameters are declared by each attack.
 */
public final class Settings {
    public static final ConfigKey SEED = ConfigKey.defaulted("run.seed", Type.LONG,
            "seed of every random choice; randomness is derived from (seed, example id, attack, epsilon)");
    public static final ConfigKey DATASET_FORMAT = ConfigKey.defaulted("dataset.format", Type.STRING,
            "idx (idx3 images + idx1 labels, raw or gzip), image-folder (a sub-folder of PNG/JPEG per class), parquet,"
                    + " or arrow (adversarial inputs written by gibbon export)");
    public static final ConfigKey DATASET_IMAGES = ConfigKey.defaulted("dataset.images", Type.STRING,
            "idx: images file, a local path or a file://, hdfs:// or s3a:// URI");
    public static final ConfigKey DATASET_LABELS = ConfigKey.defaulted("dataset.labels", Type.STRING,
            "idx: labels file, a local path or a file://, hdfs:// or s3a:// URI");
    public static final ConfigKey DATASET_PATH = ConfigKey.defaulted("dataset.path", Type.STRING,
            "image-folder: root folder with one sub-folder per class; parquet: file or folder; arrow: the .arrow file");
    public static final ConfigKey DATASET_CLASSES = ConfigKey.defaulted("dataset.classes", Type.STRING_LIST,
            "image-folder: class folder names in label order; [] = sorted folder names (as torchvision's ImageFolder)");
    public static final ConfigKey DATASET_ID_COLUMN = ConfigKey.defaulted("dataset.id-column", Type.STRING,
            "parquet: integer column of stable example ids");
    public static final ConfigKey DATASET_LABEL_COLUMN = ConfigKey.defaulted("dataset.label-column", Type.STRING,
            "parquet: integer label column");
    public static final ConfigKey DATASET_IMAGE_COLUMN = ConfigKey.defaulted("dataset.image-column", Type.STRING,
            "parquet: encoded PNG/JPEG bytes, or a float array of the input shape with values in [0, 1]");
    public static final ConfigKey DATASET_LIMIT = ConfigKey.defaulted("dataset.limit", Type.INT,
            "attack only the first N examples by id; 0 = all");
    public static final ConfigKey DATASET_PARTITIONS = ConfigKey.defaulted("dataset.partitions", Type.INT,
            "Spark partitions of the examples; 0 = enough for every executor core to have work");
    public static final ConfigKey MODEL_FORMAT = ConfigKey.defaulted("model.format", Type.STRING,
            "djl (a directory of model.json + parameters, as gibbon train writes) or torchscript (a .pt file)");
    public static final ConfigKey MODEL_URI = ConfigKey.required("model.uri", Type.STRING,
            "model directory (djl) or file (torchscript): a local path or a file://, hdfs:// or s3a:// URI");
    public static final ConfigKey MODEL_INPUT_SHAPE = ConfigKey.defaulted("model.input-shape", Type.INT_LIST,
            "torchscript: input shape [channels, rows, columns] (djl models state it in model.json)");
    public static final ConfigKey MODEL_CLASS_NAMES = ConfigKey.defaulted("model.class-names", Type.STRING_LIST,
            "torchscript: one class name per model output (djl models state them in model.json)");
    public static final ConfigKey MODEL_VALUE_RANGE = ConfigKey.defaulted("model.value-range", Type.DOUBLE_LIST,
            "the input range the model expects; [0, 1] pixels are mapped onto it");
    public static final ConfigKey MODEL_MEAN = ConfigKey.defaulted("model.mean", Type.DOUBLE_LIST,
            "per-channel mean subtracted inside the differentiable forward pass; [] = none");
    public static final ConfigKey MODEL_STD = ConfigKey.defaulted("model.std", Type.DOUBLE_LIST,
            "per-channel standard deviation divided inside the forward pass; [] = none");
    public static final ConfigKey MODEL_DEVICE = ConfigKey.defaulted("model.device", Type.STRING,
            "auto (the GPU Spark assigned to the task, else CPU), cpu, gpu (Spark's GPU, else GPU 0) or gpu:N");
    public static final ConfigKey BATCH_SIZE = ConfigKey.defaulted("sweep.batch-size", Type.INT,
            "examples per batch on an executor");
    public static final ConfigKey THREADS = ConfigKey.defaulted("sweep.threads", Type.INT,
            "libtorch intra-op threads per task; executor cores / task slots avoids oversubscription");
    public static final ConfigKey MODEL_CACHE_BYTES = ConfigKey.defaulted("sweep.model-cache-bytes", Type.BYTES,
            "most parameter bytes of models an executor keeps loaded (e.g. 512M); least recently used models are"
                    + " evicted past it; 0 = no limit");
    public static final ConfigKey MODEL_REPLICAS = ConfigKey.defaulted("sweep.model-replicas", Type.INT,
            "copies of each model an executor may hold: a copy runs one pass at a time, so concurrent tasks on one copy"
                    + " take turns; executor cores / sweep.threads lets every task slot compute at once (each copy counts"
                    + " against model-cache-bytes)");
    public static final ConfigKey MODELS = ConfigKey.defaulted("models", Type.MODELS,
            "more models the same job attacks besides 'model', by name, each with the keys of 'model'; each model"
                    + " is a run of its own over the same examples; an entry set to null is left out");
    public static final ConfigKey ATTACKS = ConfigKey.required("attacks", Type.ATTACKS,
            "the attacks to run: one entry per attack, with epsilons and parameters (see gibbon attacks)");
    public static final ConfigKey SPARK_MASTER = ConfigKey.defaulted("spark.master", Type.STRING,
            "Spark master when not launched by spark-submit (spark-submit's --master wins)");
    public static final ConfigKey SPARK_CONF = ConfigKey.defaulted("spark.conf", Type.STRING_MAP,
            "extra Spark properties, e.g. { \"spark.executor.memory\" = \"4g\" }");
    public static final ConfigKey CATALOG = ConfigKey.defaulted("output.catalog", Type.STRING,
            "Spark catalog name of the Iceberg result tables");
    public static final ConfigKey CATALOG_TYPE = ConfigKey.defaulted("output.catalog-type", Type.STRING,
            "Iceberg catalog type: hadoop (tables in the warehouse folder), jdbc (a database a team shares; catalog-properties"
                    + " uri, jdbc.user, jdbc.password), rest (a REST catalog server; catalog-properties uri), hive, ...");
    public static final ConfigKey WAREHOUSE = ConfigKey.defaulted("output.warehouse", Type.STRING,
            "Iceberg warehouse location: a local path or a file://, hdfs:// or s3a:// URI (jdbc: one every run can reach;"
                    + " rest: passed to the server as written)");
    public static final ConfigKey NAMESPACE = ConfigKey.defaulted("output.namespace", Type.STRING,
            "namespace of the runs, predictions and summary tables");
    public static final ConfigKey ADVERSARIAL_FRACTION = ConfigKey.defaulted("output.adversarial-fraction", Type.DOUBLE,
            "share of examples whose adversarial inputs (float32, every attack and epsilon) go to the"
                    + " adversarial_examples table, chosen by hashing (seed, example id): 0 none, 1 all");
    public static final ConfigKey CATALOG_PROPERTIES = ConfigKey.defaulted("output.catalog-properties", Type.STRING_MAP,
            "extra Iceberg catalog properties, e.g. { uri = \"jdbc:postgresql://db:5432/iceberg\", jdbc.user = gibbon }");
    public static final ConfigKey HADOOP = ConfigKey.defaulted("hadoop", Type.STRING_MAP,
            "extra Hadoop properties for file access, e.g. { \"fs.s3a.endpoint\" = \"...\" }");

    public static final ConfigKey TRANSFER_MODELS = ConfigKey.defaulted("transfer.models", Type.MODELS,
            "more models by name, each with the keys of 'model' (format, uri, input-shape, ...)");
    public static final ConfigKey TRANSFER_SOURCES = ConfigKey.defaulted("transfer.sources", Type.STRING_LIST,
            "transfer attacks: models to craft on ('model' = the main model, or a name from transfer.models)");
    public static final ConfigKey TRANSFER_TARGETS = ConfigKey.defaulted("transfer.targets", Type.STRING_LIST,
            "transfer attacks: models to evaluate on; every source x target pair is written to the transfer table");
    public static final ConfigKey CERTIFY_ENABLED = ConfigKey.defaulted("certify.enabled", Type.BOOLEAN,
            "randomized smoothing certification (Cohen et al. 2019) of the run's examples: certified and"
                    + " certified_summary tables");
    public static final ConfigKey CERTIFY_SIGMA = ConfigKey.defaulted("certify.sigma", Type.DOUBLE_LIST,
            "noise levels sigma of the smoothed classifier, in [0, 1] pixel units; one certificate per example and sigma");
    public static final ConfigKey CERTIFY_N0 = ConfigKey.defaulted("certify.n0", Type.INT,
            "noisy samples that choose the top class");
    public static final ConfigKey CERTIFY_N = ConfigKey.defaulted("certify.n", Type.INT,
            "noisy samples that bound its probability (and answer PREDICT)");
    public static final ConfigKey CERTIFY_ALPHA = ConfigKey.defaulted("certify.alpha", Type.DOUBLE,
            "a certificate is wrong with probability at most alpha");
    public static final ConfigKey CERTIFY_BATCH_SIZE = ConfigKey.defaulted("certify.batch-size", Type.INT,
            "noisy copies per forward pass");
    public static final ConfigKey CERTIFY_CHUNK_SIZE = ConfigKey.defaulted("certify.chunk-size", Type.INT,
            "samples per Spark task: an example's n samples are split into chunks that run on different executors;"
                    + " a multiple of certify.batch-size");
    public static final ConfigKey CERTIFY_RADII = ConfigKey.defaulted("certify.radii", Type.DOUBLE_LIST,
            "L2 radii at which certified_summary gives the certified accuracy");
    public static final ConfigKey VARS = ConfigKey.defaulted("vars", Type.FREE_FORM,
            "free-form values for ${vars.name} substitutions; not read by Gibbon itself");

    /** Keys of a model, under 'model' and under each entry of 'models' and 'transfer.models'. */
    public static final List<ConfigKey> MODEL_KEYS = List.of(MODEL_FORMAT, MODEL_URI, MODEL_INPUT_SHAPE,
            MODEL_CLASS_NAMES, MODEL_VALUE_RANGE, MODEL_MEAN, MODEL_STD);

    /** The name of the main model in transfer.sources and transfer.targets. */
    public static final String MAIN_MODEL = "model";

    /** Keys inside each entry of {@code attacks}, besides the attack's own parameters. */
    public static final ConfigKey ATTACK_TYPE = ConfigKey.optional("attack", Type.STRING,
            "registered attack name; defaults to the entry's own name");
    public static final ConfigKey ATTACK_EPSILONS = ConfigKey.required("epsilons", Type.DOUBLE,
            "list of budgets; 0 records the clean prediction");
    public static final ConfigKey ATTACK_ENABLED = ConfigKey.defaulted("enabled", Type.BOOLEAN,
            "false skips the entry");
    public static final ConfigKey ATTACK_SEARCH = ConfigKey.defaulted("search", Type.STRING,
            "each example's minimal fooling epsilon (predictions.min_epsilon): sweep = the first wrong epsilon of"
                    + " the sweep; bisect = then bisection down to precision");
    public static final ConfigKey ATTACK_PRECISION = ConfigKey.defaulted("precision", Type.DOUBLE,
            "bisect: stop when the gap between a right and a wrong epsilon is at most this");

    public static final List<ConfigKey> ALL = List.of(SEED, DATASET_FORMAT, DATASET_IMAGES, DATASET_LABELS,
            DATASET_PATH, DATASET_CLASSES, DATASET_ID_COLUMN, DATASET_LABEL_COLUMN, DATASET_IMAGE_COLUMN, DATASET_LIMIT, DATASET_PARTITIONS, MODEL_FORMAT, MODEL_URI, MODEL_INPUT_SHAPE, MODEL_CLASS_NAMES,
            MODEL_VALUE_RANGE, MODEL_MEAN, MODEL_STD, MODEL_DEVICE, MODELS, BATCH_SIZE, THREADS, MODEL_CACHE_BYTES, MODEL_REPLICAS, ATTACKS, SPARK_MASTER,
            SPARK_CONF, CATALOG, CATALOG_TYPE, WAREHOUSE, NAMESPACE, ADVERSARIAL_FRACTION,
            CATALOG_PROPERTIES, HADOOP, TRANSFER_MODELS, TRANSFER_SOURCES, TRANSFER_TARGETS, CERTIFY_ENABLED, CERTIFY_SIGMA, CERTIFY_N0, CERTIFY_N,
            CERTIFY_ALPHA, CERTIFY_BATCH_SIZE, CERTIFY_CHUNK_SIZE, CERTIFY_RADII, VARS);

    private Settings() {}
}
