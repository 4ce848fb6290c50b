package gibbon.config;

import com.typesafe.config.Config;
import gibbon.GibbonException;
import gibbon.data.DatasetSpec;
import gibbon.io.Storage;
import java.util.List;

/** The {@code dataset} part of an experiment config: which examples to attack, read into a {@link DatasetSpec}. */
public final class DatasetSettings {
    private DatasetSettings() {}

    /**
     * Reads and checks the {@code dataset} keys.
     *
     * @param c the config, defaults filled
     * @throws GibbonException of kind CONFIG naming the key at fault
     */
    public static DatasetSpec parse(Config c) {
        String format = Values.string(c, Settings.DATASET_FORMAT);
        if (!DatasetSpec.FORMATS.contains(format)) {
            throw GibbonException.config("config key 'dataset.format': unknown format '" + format + "' (known: "
                    + String.join(", ", DatasetSpec.FORMATS) + ")");
        }
        List<ConfigKey> required = format.equals(DatasetSpec.IDX)
                ? List.of(Settings.DATASET_IMAGES, Settings.DATASET_LABELS) : List.of(Settings.DATASET_PATH);
        for (ConfigKey key : required) {
            if (Values.string(c, key).isBlank()) {
                throw GibbonException.config("config key '" + key.path() + "' is required for dataset.format = " + format
                        + ": " + key.doc());
            }
        }
        return new DatasetSpec(format, location(c, Settings.DATASET_IMAGES), location(c, Settings.DATASET_LABELS),
                location(c, Settings.DATASET_PATH), Values.strings(c, Settings.DATASET_CLASSES),
                Values.nonEmpty(c, Settings.DATASET_ID_COLUMN), Values.nonEmpty(c, Settings.DATASET_LABEL_COLUMN),
                Values.nonEmpty(c, Settings.DATASET_IMAGE_COLUMN), Values.nonNegative(c, Settings.DATASET_LIMIT),
                Values.nonNegative(c, Settings.DATASET_PARTITIONS));
    }

    /** Local paths become absolute URIs on the driver, where the user's working directory is. */
    private static String location(Config c, ConfigKey key) {
        String location = Values.location(key, Values.string(c, key));
        return location.isBlank() ? location : Storage.absolute(location);
    }
}
