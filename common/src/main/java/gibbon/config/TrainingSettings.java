package gibbon.config;

import gibbon.config.ConfigKey.Type;
import gibbon.model.Architectures;
import java.util.List;

/** The declaration of every setting of {@code gibbon train}. */
public final class TrainingSettings {
    public static final ConfigKey IMAGES = new ConfigKey("train.images", Type.STRING, null,
            "training images (IDX idx3, raw or gzip)");
    public static final ConfigKey LABELS = new ConfigKey("train.labels", Type.STRING, null,
            "training labels (IDX idx1, raw or gzip)");
    public static final ConfigKey TEST_IMAGES = new ConfigKey("train.test-images", Type.STRING, null,
            "test images, for the accuracy recorded in model.json");
    public static final ConfigKey TEST_LABELS = new ConfigKey("train.test-labels", Type.STRING, null,
            "test labels");
    public static final ConfigKey CLASS_NAMES = new ConfigKey("train.class-names", Type.STRING, null,
            "class names, one per label value");
    public static final ConfigKey ARCHITECTURE = new ConfigKey("train.architecture", Type.STRING,
            Architectures.BASELINE_CNN, "architecture to train");
    public static final ConfigKey LIMIT = new ConfigKey("train.limit", Type.INT, 0,
            "train on the first N examples only; 0 = all");
    public static final ConfigKey EPOCHS = new ConfigKey("train.epochs", Type.INT, 4, "passes over the training set");
    public static final ConfigKey BATCH_SIZE = new ConfigKey("train.batch-size", Type.INT, 128, "minibatch size");
    public static final ConfigKey LEARNING_RATE = new ConfigKey("train.learning-rate", Type.DOUBLE, 0.001,
            "Adam learning rate");
    public static final ConfigKey SEED = new ConfigKey("train.seed", Type.LONG, 1L,
            "seed of initialisation and shuffling");
    public static final ConfigKey THREADS = new ConfigKey("train.threads", Type.INT, 2, "libtorch threads");
    public static final ConfigKey OUTPUT = new ConfigKey("train.output", Type.STRING, null,
            "local directory to write model.json and the parameters to");
    public static final ConfigKey NAME = new ConfigKey("train.name", Type.STRING, "model",
            "model name: the parameter file's prefix");

    public static final List<ConfigKey> ALL = List.of(IMAGES, LABELS, TEST_IMAGES, TEST_LABELS, CLASS_NAMES,
            ARCHITECTURE, LIMIT, EPOCHS, BATCH_SIZE, LEARNING_RATE, SEED, THREADS, OUTPUT, NAME);

    private TrainingSettings() {}
}
