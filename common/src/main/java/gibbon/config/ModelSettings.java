package gibbon.config;

import com.typesafe.config.Config;
import gibbon.GibbonException;
import gibbon.Secrets;
import gibbon.io.Storage;
import gibbon.model.ModelSpec;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code model} part of an experiment config: the model under attack and the device it runs on.
 * The keys of a model also describe each entry of {@code transfer.models} ({@link #spec}).
 *
 * @param spec the model
 * @param device auto, cpu, gpu or gpu:N
 */
public record ModelSettings(ModelSpec spec, String device) implements Serializable {
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
