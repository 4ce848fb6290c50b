package gibbon.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import gibbon.GibbonException;
import gibbon.Secrets;
import gibbon.io.Storage;
import gibbon.model.ModelSpec;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The {@code model} part of an experiment config: the model under attack and the device it runs on.
 * The keys of a model also describe each entry of {@code models} and {@code transfer.models}
 * ({@link #named}).
 *
 * @param spec the model
 * @param device auto, cpu, gpu or gpu:N
 */
public record ModelSettings(ModelSpec spec, String device) implements Serializable {
    private static final String MODEL = "model";
    /** Where models may come from: a TorchScript file is a program, so only storage the user controls. */
    private static final Set<String> MODEL_SCHEMES = Set.of("file", "hdfs", "s3a");

    /**
     * Reads and checks the {@code model} keys.
     *
     * @param c the config, defaults filled
     * @throws GibbonException of kind CONFIG naming the key at fault
     */
    public static ModelSettings parse(Config c) {
        String device = Values.string(c, Settings.MODEL_DEVICE);
        if (!device.matches("auto|cpu|gpu(:\\d+)?")) {
            throw GibbonException.config("config key 'model.device': '" + device + "' is not auto, cpu, gpu or gpu:N");
        }
        return new ModelSettings(spec(c, "model"), device);
    }

    /**
     * Reads an object of named models ({@code models}, {@code transfer.models}): each entry takes
     * the keys and defaults of 'model'; an entry set to null is left out, so that
     * {@code --set models.name=null} drops a model a config names.
     *
     * @throws GibbonException of kind CONFIG naming the key at fault
     */
    static Map<String, ModelSpec> named(Config c, ConfigKey key) {
        ConfigValue value = c.getValue(key.path());
        if (value.valueType() != ConfigValueType.OBJECT) {
            throw GibbonException.config("config key '" + key.path() + "': expected " + key.type().description());
        }
        Set<String> allowed = new TreeSet<>();
        Settings.MODEL_KEYS.forEach(k -> allowed.add(k.path().substring((MODEL + ".").length())));
        Config modelDefaults = ReferenceConfig.experiment().withOnlyPath(MODEL);
        Map<String, ModelSpec> models = new TreeMap<>();
        for (Map.Entry<String, ConfigValue> e : ((ConfigObject) value).entrySet()) {
            String name = e.getKey();
            String path = key.path() + "." + name;
            if (e.getValue().valueType() == ConfigValueType.NULL) {
                continue;
            }
            if (name.equals(Settings.MAIN_MODEL)) {
                throw GibbonException.config("config key '" + path + "': 'model' names the main model; choose another name");
            }
            if (e.getValue().valueType() != ConfigValueType.OBJECT) {
                throw GibbonException.config("config key '" + path + "': expected an object with the keys of 'model'");
            }
            Config entry = ((ConfigObject) e.getValue()).toConfig();
            for (String k : entry.root().keySet()) {
                if (!allowed.contains(k)) {
                    throw Values.unknown(path + "." + k, allowed.stream().map(a -> path + "." + a)
                            .collect(Collectors.toCollection(TreeSet::new)));
                }
            }
            Config withDefaults = ConfigFactory.empty().withValue(MODEL, entry.root()).withFallback(modelDefaults);
            models.put(name, spec(withDefaults, path));
        }
        return models;
    }

    /**
     * The {@code model} section as a single-model run of the named model would resolve it: the
     * entry's keys over the defaults of 'model', with {@code model.device} of {@code c}.
     */
    static ConfigValue section(Config c, ConfigKey key, String name) {
        Config entry = ((ConfigObject) c.getValue(key.path())).toConfig().getConfig(ConfigUtil.quoteString(name));
        return ConfigFactory.empty().withValue(MODEL, entry.root())
                .withValue(Settings.MODEL_DEVICE.path(), c.getValue(Settings.MODEL_DEVICE.path()))
                .withFallback(ReferenceConfig.experiment().withOnlyPath(MODEL)).getValue(MODEL);
    }

    /**
     * Reads the keys of a model found under {@code model} in {@code c}.
     *
     * @param shown how error messages name its prefix, e.g. {@code transfer.models.other}
     */
    static ModelSpec spec(Config c, String shown) {
        String format = Values.string(c, Settings.MODEL_FORMAT);
        String uri = Values.nonEmpty(c, Settings.MODEL_URI);
        List<Integer> shape = Values.numbers(c, Settings.MODEL_INPUT_SHAPE).stream().map(Number::intValue).toList();
        List<String> classes = Values.strings(c, Settings.MODEL_CLASS_NAMES);
        List<Double> range = Values.numbers(c, Settings.MODEL_VALUE_RANGE).stream().map(Number::doubleValue).toList();
        List<Double> mean = Values.numbers(c, Settings.MODEL_MEAN).stream().map(Number::doubleValue).toList();
        List<Double> std = Values.numbers(c, Settings.MODEL_STD).stream().map(Number::doubleValue).toList();
        try {
            return checked(format, uri, shape, classes, range, mean, std);
        } catch (GibbonException e) {
            throw shown.equals("model") ? e : GibbonException.config(e.getMessage().replace("'model.", "'" + shown + "."));
        }
    }

    private static ModelSpec checked(String format, String uri, List<Integer> shape, List<String> classes,
            List<Double> range, List<Double> mean, List<Double> std) {
        Secrets.requireNoCredentials(Settings.MODEL_URI.path(), uri);
        if (format.equals(ModelSpec.TORCHSCRIPT)) {
            if (shape.size() != 3 || shape.stream().anyMatch(d -> d < 1)) {
                throw GibbonException.config("config key 'model.input-shape': a torchscript model needs "
                        + "[channels, rows, columns], got " + shape);
            }
            if (classes.size() < 2) {
                throw GibbonException.config("config key 'model.class-names': a torchscript model needs one name per output"
                        + " (at least 2)");
            }
        } else if (format.equals(ModelSpec.DJL)) {
            if (!shape.isEmpty() || !classes.isEmpty()) {
                throw GibbonException.config("config key '" + (shape.isEmpty() ? "model.class-names" : "model.input-shape")
                        + "' applies to torchscript models; a djl model directory states it in model.json");
            }
        } else {
            throw GibbonException.config("config key 'model.format': unknown format '" + format + "' (known: djl, torchscript)");
        }
        if (range.size() != 2 || !(range.get(0) < range.get(1))) {
            throw GibbonException.config("config key 'model.value-range': expected [low, high] with low < high, got " + range);
        }
        int channels = shape.isEmpty() ? -1 : shape.get(0);
        for (var entry : Map.of("model.mean", mean, "model.std", std).entrySet()) {
            if (!entry.getValue().isEmpty() && channels > 0 && entry.getValue().size() != channels) {
                throw GibbonException.config("config key '" + entry.getKey() + "': " + entry.getValue().size()
                        + " values for " + channels + " channels");
            }
        }
        if (std.stream().anyMatch(v -> !(v > 0))) {
            throw GibbonException.config("config key 'model.std': every value must be positive, got " + std);
        }
        if (mean.isEmpty() != std.isEmpty()) {
            throw GibbonException.config("config key '" + (mean.isEmpty() ? "model.mean" : "model.std")
                    + "': give model.mean and model.std together");
        }
        if (!MODEL_SCHEMES.contains(Storage.scheme(uri))) {
            throw GibbonException.config("config key 'model.uri': '" + uri + "': models load only from local paths,"
                    + " hdfs:// or s3a:// (loading a TorchScript file runs its code)");
        }
        // Resolved here, on the driver: executors run in other working directories.
        return new ModelSpec(format, Storage.absolute(uri), shape, classes, range, mean, std);
    }
}
