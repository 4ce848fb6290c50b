package gibbon.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import gibbon.GibbonException;
import gibbon.config.ConfigKey.Type;
import java.util.List;

/** The declaration of every setting of {@code gibbon train} and their parsing; the defaults are in {@code reference.conf}. */
public final class TrainingSettings {
    public static final ConfigKey IMAGES = ConfigKey.required("train.images", Type.STRING,
            "training images (IDX idx3, raw or gzip)");
    public static final ConfigKey LABELS = ConfigKey.required("train.labels", Type.STRING,
            "training labels (IDX idx1, raw or gzip)");
    public static final ConfigKey TEST_IMAGES = ConfigKey.required("train.test-images", Type.STRING,
            "test images, for the accuracy recorded in model.json");
    public static final ConfigKey TEST_LABELS = ConfigKey.required("train.test-labels", Type.STRING,
            "test labels");
    public static final ConfigKey CLASS_NAMES = ConfigKey.required("train.class-names", Type.STRING,
            "class names, one per label value");
    public static final ConfigKey ARCHITECTURE = ConfigKey.defaulted("train.architecture", Type.STRING,
            "architecture to train");
    public static final ConfigKey LIMIT = ConfigKey.defaulted("train.limit", Type.INT,
            "train on the first N examples only; 0 = all");
    public static final ConfigKey EPOCHS = ConfigKey.defaulted("train.epochs", Type.INT, "passes over the training set");
    public static final ConfigKey BATCH_SIZE = ConfigKey.defaulted("train.batch-size", Type.INT, "minibatch size");
    public static final ConfigKey LEARNING_RATE = ConfigKey.defaulted("train.learning-rate", Type.DOUBLE,
            "Adam learning rate");
    public static final ConfigKey NOISE_SIGMA = ConfigKey.defaulted("train.noise-sigma", Type.DOUBLE,
            "standard deviation of the Gaussian noise added to each training batch's inputs in [0, 1]"
                    + " (for randomized smoothing); 0 = none");
    public static final ConfigKey SEED = ConfigKey.defaulted("train.seed", Type.LONG,
            "seed of initialisation, shuffling and the training noise");
    public static final ConfigKey THREADS = ConfigKey.defaulted("train.threads", Type.INT, "libtorch threads");
    public static final ConfigKey OUTPUT = ConfigKey.required("train.output", Type.STRING,
            "local directory to write model.json and the parameters to");
    public static final ConfigKey NAME = ConfigKey.defaulted("train.name", Type.STRING,
            "model name: the parameter file's prefix");

    public static final List<ConfigKey> ALL = List.of(IMAGES, LABELS, TEST_IMAGES, TEST_LABELS, CLASS_NAMES,
            ARCHITECTURE, LIMIT, EPOCHS, BATCH_SIZE, LEARNING_RATE, NOISE_SIGMA, SEED, THREADS, OUTPUT, NAME);

    private TrainingSettings() {}

    /**
     * Reads and checks a training config.
     *
     * @param c the config, defaults filled
     * @throws GibbonException of kind CONFIG naming the key at fault
     */
    static TrainingConfig parse(Config c) {
        List<String> classNames;
        try {
            classNames = c.getStringList(CLASS_NAMES.path());
        } catch (ConfigException e) {
            throw GibbonException.config("config key '" + CLASS_NAMES.path() + "': expected a list of strings");
        }
        if (classNames.size() < 2) {
            throw GibbonException.config("config key '" + CLASS_NAMES.path() + "': name at least 2 classes");
        }
        double lr = Values.number(c, LEARNING_RATE).doubleValue();
        if (!(lr > 0)) {
            throw GibbonException.config("config key '" + LEARNING_RATE.path() + "' must be positive");
        }
        double noiseSigma = Values.number(c, NOISE_SIGMA).doubleValue();
        if (!(noiseSigma >= 0 && Double.isFinite(noiseSigma))) {
            throw GibbonException.config("config key '" + NOISE_SIGMA.path() + "' is " + noiseSigma
                    + ", must be a finite number, 0 or more");
        }
        return new TrainingConfig(location(c, IMAGES), location(c, LABELS),
                location(c, TEST_IMAGES), location(c, TEST_LABELS), classNames,
                Values.nonEmpty(c, ARCHITECTURE), Values.nonNegative(c, LIMIT),
                Values.positive(c, EPOCHS), Values.positive(c, BATCH_SIZE), lr, noiseSigma,
                Values.number(c, SEED).longValue(), Values.positive(c, THREADS),
                location(c, OUTPUT), Values.nonEmpty(c, NAME));
    }

    private static String location(Config c, ConfigKey key) {
        return Values.location(key, Values.nonEmpty(c, key));
    }
}
