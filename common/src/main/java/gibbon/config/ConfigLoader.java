package gibbon.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import gibbon.GibbonException;
import gibbon.Secrets;
import gibbon.attack.AttackParameter;
import gibbon.attack.AttackParams;
import gibbon.attack.AttackPlan;
import gibbon.attack.AttackRegistry;
import gibbon.attack.AttackType;
import gibbon.attack.Norm;
import gibbon.data.DatasetSpec;
import gibbon.io.Storage;
import gibbon.model.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads an experiment config (HOCON) plus {@code --set key=value} overrides, fills defaults from
 * {@link Settings}, and validates everything. Every problem becomes one {@link GibbonException} of
 * kind CONFIG whose message names the key or file.
 */
public final class ConfigLoader {
    private static final int MAX_BATCH = 65_536;
    /** Where models may come from: a TorchScript file is a program, so only storage the user controls. */
    private static final Set<String> MODEL_SCHEMES = Set.of("file", "hdfs", "s3a");

    private ConfigLoader() {}

    /** Loads a config file with overrides applied on top. */
    public static ExperimentConfig load(Path file, List<String> overrides) {
        return fromConfig(parseFile(file), overrides);
    }

    /** Validates an already parsed config with overrides applied on top. */
    public static ExperimentConfig fromConfig(Config base, List<String> overrides) {
        Config withDefaults = declared(base, overrides, Settings.ALL);
        List<AttackPlan> plans = attackPlans(withDefaults);
        Config resolved = withDefaults.withValue("attacks", renderPlans(plans));
        int batchSize = positive(withDefaults, Settings.BATCH_SIZE);
        if (batchSize > MAX_BATCH) {
            throw GibbonException.config("config key 'sweep.batch-size' is " + batchSize + ", at most " + MAX_BATCH);
        }
        String device = string(withDefaults, Settings.MODEL_DEVICE);
        if (!device.matches("auto|cpu|gpu(:\\d+)?")) {
            throw GibbonException.config("config key 'model.device': '" + device + "' is not auto, cpu, gpu or gpu:N");
        }
        ModelSpec model = modelSpec(withDefaults);
        List<String> sources = strings(withDefaults, Settings.TRANSFER_SOURCES);
        List<String> targets = strings(withDefaults, Settings.TRANSFER_TARGETS);
        CatalogSettings.check(nonEmpty(withDefaults, Settings.CATALOG_TYPE), nonEmpty(withDefaults, Settings.WAREHOUSE),
                stringMap(withDefaults, Settings.CATALOG_PROPERTIES));
        return new ExperimentConfig(
                number(withDefaults, Settings.SEED).longValue(),
                datasetSpec(withDefaults),
                model,
                device,
                batchSize,
                positive(withDefaults, Settings.THREADS),
                plans,
                nonEmpty(withDefaults, Settings.SPARK_MASTER),
                stringMap(withDefaults, Settings.SPARK_CONF),
                identifier(withDefaults, Settings.CATALOG),
                nonEmpty(withDefaults, Settings.CATALOG_TYPE),
                location(Settings.WAREHOUSE, nonEmpty(withDefaults, Settings.WAREHOUSE)),
                identifier(withDefaults, Settings.NAMESPACE),
                fraction(withDefaults, Settings.ADVERSARIAL_FRACTION),
                stringMap(withDefaults, Settings.CATALOG_PROPERTIES),
                stringMap(withDefaults, Settings.HADOOP),
                transferModels(withDefaults, model, sources, targets),
                sources,
                targets,
                redacted(resolved).root().render(ConfigRenderOptions.concise()));
    }

    /** The word that replaces a credential's value wherever a config is shown or stored. */
    public static final String REDACTED = Secrets.REDACTED;

    /**
     * The config with every credential replaced, as {@code runs.config} stores it: the values of
     * keys naming a secret (s3a keys, session tokens, passwords), and credentials inside other
     * values, such as a catalog's {@code jdbc:...?password=...} uri.
     */
    static Config redacted(Config resolved) {
        Config out = resolved;
        for (Map.Entry<String, ConfigValue> e : resolved.entrySet()) {
            List<String> path = com.typesafe.config.ConfigUtil.splitPath(e.getKey());
            if (Secrets.isSecretName(path.get(path.size() - 1))) {
                out = out.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(REDACTED));
            } else if (e.getValue().valueType() == ConfigValueType.STRING) {
                String value = (String) e.getValue().unwrapped();
                String shown = Secrets.redact(value);
                if (!shown.equals(value)) {
                    out = out.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(shown));
                }
            }
        }
        return out;
    }

    /** Loads a training config ({@code gibbon train}) with overrides applied on top. */
    public static TrainingConfig loadTraining(Path file, List<String> overrides) {
        Config c = declared(parseFile(file), overrides, TrainingSettings.ALL);
        List<String> classNames;
        try {
            classNames = c.getStringList(TrainingSettings.CLASS_NAMES.path());
        } catch (ConfigException e) {
            throw GibbonException.config("config key '" + TrainingSettings.CLASS_NAMES.path() + "': expected a list of strings");
        }
        if (classNames.size() < 2) {
            throw GibbonException.config("config key '" + TrainingSettings.CLASS_NAMES.path() + "': name at least 2 classes");
        }
        double lr = number(c, TrainingSettings.LEARNING_RATE).doubleValue();
        if (!(lr > 0)) {
            throw GibbonException.config("config key '" + TrainingSettings.LEARNING_RATE.path() + "' must be positive");
        }
        return new TrainingConfig(trainingLocation(c, TrainingSettings.IMAGES), trainingLocation(c, TrainingSettings.LABELS),
                trainingLocation(c, TrainingSettings.TEST_IMAGES), trainingLocation(c, TrainingSettings.TEST_LABELS), classNames,
                nonEmpty(c, TrainingSettings.ARCHITECTURE), nonNegative(c, TrainingSettings.LIMIT),
                positive(c, TrainingSettings.EPOCHS), positive(c, TrainingSettings.BATCH_SIZE), lr,
                number(c, TrainingSettings.SEED).longValue(), positive(c, TrainingSettings.THREADS),
                trainingLocation(c, TrainingSettings.OUTPUT), nonEmpty(c, TrainingSettings.NAME));
    }

    /**
     * Applies the overrides, resolves substitutions, rejects undeclared keys, fills defaults and
     * checks that every required key is there.
     */
    private static Config declared(Config base, List<String> overrides, List<ConfigKey> keys) {
        Config merged = base;
        for (String override : overrides) {
            merged = parseOverride(override).withFallback(merged);
        }
        Config config;
        try {
            config = merged.resolve();
        } catch (ConfigException e) {
            throw GibbonException.config(oneLine(e.getMessage()));
        }
        checkUnknownKeys(config, keys);
        Config withDefaults = config.withFallback(defaults(keys));
        for (ConfigKey key : keys) {
            if (key.required() && !withDefaults.hasPath(key.path())) {
                throw GibbonException.config("config key '" + key.path() + "' is required: " + key.doc());
            }
        }
        return withDefaults;
    }

    private static Config parseFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw GibbonException.config(file + ": config file not found");
        }
        if (!Files.isReadable(file)) {
            throw GibbonException.config(file + ": config file is not readable");
        }
        Config parsed;
        try {
            parsed = ConfigFactory.parseFile(file.toFile(),
                    ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false));
        } catch (ConfigException e) {
            throw GibbonException.config(oneLine(e.getMessage()));
        }
        try {
            DuplicateEntries.find(Files.readString(file), Settings.ATTACKS.path()).ifPresent(twice -> {
                throw GibbonException.config(file + ": attack entry " + twice + " is written twice; HOCON would merge"
                        + " the two silently: give the second another name (and attack = its type)");
            });
        } catch (java.io.IOException e) {
            throw GibbonException.config(file + ": config file is not readable (" + e.getMessage() + ")");
        }
        return parsed;
    }

    private static DatasetSpec datasetSpec(Config c) {
        String format = string(c, Settings.DATASET_FORMAT);
        if (!DatasetSpec.FORMATS.contains(format)) {
            throw GibbonException.config("config key 'dataset.format': unknown format '" + format + "' (known: "
                    + String.join(", ", DatasetSpec.FORMATS) + ")");
        }
        List<ConfigKey> required = format.equals(DatasetSpec.IDX)
                ? List.of(Settings.DATASET_IMAGES, Settings.DATASET_LABELS) : List.of(Settings.DATASET_PATH);
        for (ConfigKey key : required) {
            if (string(c, key).isBlank()) {
                throw GibbonException.config("config key '" + key.path() + "' is required for dataset.format = " + format
                        + ": " + key.doc());
            }
        }
        return new DatasetSpec(format, datasetLocation(c, Settings.DATASET_IMAGES),
                datasetLocation(c, Settings.DATASET_LABELS), datasetLocation(c, Settings.DATASET_PATH),
                strings(c, Settings.DATASET_CLASSES),
                nonEmpty(c, Settings.DATASET_ID_COLUMN), nonEmpty(c, Settings.DATASET_LABEL_COLUMN),
                nonEmpty(c, Settings.DATASET_IMAGE_COLUMN), nonNegative(c, Settings.DATASET_LIMIT),
                nonNegative(c, Settings.DATASET_PARTITIONS));
    }

    private static Map<String, ModelSpec> transferModels(Config c, ModelSpec main, List<String> sources,
            List<String> targets) {
        Map<String, ModelSpec> models = new TreeMap<>();
        models.put(Settings.MAIN_MODEL, main);
        ConfigValue value = c.getValue(Settings.TRANSFER_MODELS.path());
        if (value.valueType() != ConfigValueType.OBJECT) {
            throw GibbonException.config("config key 'transfer.models': expected " + Settings.TRANSFER_MODELS.type().description());
        }
        Set<String> allowed = new java.util.TreeSet<>();
        Settings.MODEL_KEYS.forEach(k -> allowed.add(k.path().substring("model.".length())));
        for (Map.Entry<String, ConfigValue> e : ((ConfigObject) value).entrySet()) {
            String name = e.getKey();
            String path = "transfer.models." + name;
            if (name.equals(Settings.MAIN_MODEL)) {
                throw GibbonException.config("config key '" + path + "': 'model' names the main model; choose another name");
            }
            if (e.getValue().valueType() != ConfigValueType.OBJECT) {
                throw GibbonException.config("config key '" + path + "': expected an object with the keys of 'model'");
            }
            Config entry = ((ConfigObject) e.getValue()).toConfig();
            for (String key : entry.root().keySet()) {
                if (!allowed.contains(key)) {
                    throw unknown(path + "." + key, allowed.stream().map(k -> path + "." + k)
                            .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new)));
                }
            }
            Config withDefaults = ConfigFactory.empty().withValue("model", entry.root()).withFallback(
                    defaults(Settings.MODEL_KEYS));
            models.put(name, modelSpec(withDefaults, path));
        }
        for (var list : List.of(Map.entry("transfer.sources", sources), Map.entry("transfer.targets", targets))) {
            for (String name : list.getValue()) {
                if (!models.containsKey(name)) {
                    throw GibbonException.config("config key '" + list.getKey() + "': no model named '" + name + "' (known: "
                            + String.join(", ", models.keySet()) + ")");
                }
            }
        }
        if (sources.isEmpty() != targets.isEmpty()) {
            throw GibbonException.config("config key '" + (sources.isEmpty() ? "transfer.sources" : "transfer.targets")
                    + "' is empty: transfer attacks need both sources and targets");
        }
        return models;
    }

    /** A storage location, checked to carry no credentials: locations are printed and recorded in runs. */
    private static String location(ConfigKey key, String value) {
        Secrets.requireNoCredentials(key.path(), value);
        return value;
    }

    private static String trainingLocation(Config c, ConfigKey key) {
        return location(key, nonEmpty(c, key));
    }

    /** Local paths become absolute URIs on the driver, where the user's working directory is. */
    private static String datasetLocation(Config c, ConfigKey key) {
        String location = location(key, string(c, key));
        return location.isBlank() ? location : Storage.absolute(location);
    }

    private static ModelSpec modelSpec(Config c) {
        return modelSpec(c, "model");
    }

    /** Reads the keys of a model; {@code shown} is how error messages name its prefix. */
    private static ModelSpec modelSpec(Config c, String shown) {
        String format = string(c, Settings.MODEL_FORMAT);
        String uri = nonEmpty(c, Settings.MODEL_URI);
        List<Integer> shape = numbers(c, Settings.MODEL_INPUT_SHAPE).stream().map(Number::intValue).toList();
        List<String> classes = strings(c, Settings.MODEL_CLASS_NAMES);
        List<Double> range = numbers(c, Settings.MODEL_VALUE_RANGE).stream().map(Number::doubleValue).toList();
        List<Double> mean = numbers(c, Settings.MODEL_MEAN).stream().map(Number::doubleValue).toList();
        List<Double> std = numbers(c, Settings.MODEL_STD).stream().map(Number::doubleValue).toList();
        try {
            return checkedModelSpec(format, uri, shape, classes, range, mean, std);
        } catch (GibbonException e) {
            throw shown.equals("model") ? e : GibbonException.config(e.getMessage().replace("'model.", "'" + shown + "."));
        }
    }

    private static ModelSpec checkedModelSpec(String format, String uri, List<Integer> shape, List<String> classes,
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

    private static List<Number> numbers(Config c, ConfigKey key) {
        try {
            return c.getNumberList(key.path());
        } catch (ConfigException e) {
            throw GibbonException.config("config key '" + key.path() + "': expected " + key.type().description());
        }
    }

    private static List<String> strings(Config c, ConfigKey key) {
        try {
            return c.getStringList(key.path());
        } catch (ConfigException e) {
            throw GibbonException.config("config key '" + key.path() + "': expected " + key.type().description());
        }
    }

    private static Config parseOverride(String override) {
        int eq = override.indexOf('=');
        if (eq <= 0) {
            throw GibbonException.config("--set '" + override + "': expected key=value");
        }
        String key = override.substring(0, eq).trim();
        String value = override.substring(eq + 1).trim();
        // Objects, lists, quoted strings, numbers and booleans are HOCON; anything else is taken as
        // a plain string, so URIs (whose "//" would start a HOCON comment) and local[2] need no quotes.
        boolean hocon = value.startsWith("{") || value.startsWith("[") || value.startsWith("\"")
                || value.matches("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?|true|false|null");
        if (!hocon) {
            value = ConfigValueFactory.fromAnyRef(value).render(ConfigRenderOptions.concise());
        }
        try {
            return ConfigFactory.parseString(key + " = " + value);
        } catch (ConfigException e) {
            throw GibbonException.config("--set '" + override + "': " + oneLine(e.getMessage()));
        }
    }

    private static Config defaults(List<ConfigKey> keys) {
        Config d = ConfigFactory.empty();
        for (ConfigKey key : keys) {
            if (key.defaultValue() != null) {
                d = d.withValue(key.path(), ConfigValueFactory.fromAnyRef(key.defaultValue()));
            }
        }
        return d;
    }

    private static void checkUnknownKeys(Config config, List<ConfigKey> keys) {
        Set<String> declared = new java.util.TreeSet<>();
        keys.forEach(k -> declared.add(k.path()));
        for (Map.Entry<String, ConfigValue> entry : config.root().entrySet()) {
            String top = entry.getKey();
            boolean section = keys.stream().anyMatch(k -> k.path().startsWith(top + "."));
            if (!section && !declared.contains(top)) {
                throw unknown(top, declared);
            }
            if (section && entry.getValue().valueType() == ConfigValueType.OBJECT) {
                for (String child : ((ConfigObject) entry.getValue()).keySet()) {
                    String path = top + "." + quoteIfNeeded(child);
                    if (!declared.contains(path)) {
                        throw unknown(path, declared);
                    }
                }
            }
        }
    }

    private static String quoteIfNeeded(String key) {
        return key.matches("[A-Za-z0-9_-]+") ? key : "\"" + key + "\"";
    }

    private static GibbonException unknown(String path, Set<String> known) {
        return GibbonException.config("unknown config key '" + path + "'" + Suggestions.didYouMean(path, known).orElse(""));
    }

    private static List<AttackPlan> attackPlans(Config config) {
        ConfigValue value = config.getValue(Settings.ATTACKS.path());
        if (value.valueType() != ConfigValueType.OBJECT) {
            throw GibbonException.config("config key 'attacks': expected " + Settings.ATTACKS.type().description()
                    + ", got " + value.valueType().name().toLowerCase());
        }
        ConfigObject entries = (ConfigObject) value;
        List<AttackPlan> plans = new ArrayList<>();
        for (String label : new TreeMap<>(entries).keySet()) {
            String path = "attacks." + label;
            if (!label.matches("[a-z0-9_-]+")) {
                throw GibbonException.config("config key '" + path
                        + "': attack entry names use only lower-case letters, digits, '_' and '-'");
            }
            ConfigValue entryValue = entries.get(label);
            if (entryValue.valueType() != ConfigValueType.OBJECT) {
                throw GibbonException.config("config key '" + path + "': expected an object with epsilons and parameters");
            }
            Config entry = ((ConfigObject) entryValue).toConfig();
            AttackPlan plan = attackPlan(path, label, entry);
            if (plan != null) {
                plans.add(plan);
            }
        }
        if (plans.isEmpty()) {
            throw GibbonException.config("config key 'attacks': no enabled attack (known: " + AttackRegistry.names() + ")");
        }
        plans.sort(Comparator.comparing((AttackPlan p) -> AttackRegistry.names().indexOf(p.type()))
                .thenComparing(AttackPlan::label));
        return plans;
    }

    private static AttackPlan attackPlan(String path, String label, Config entry) {
        String typeKey = Settings.ATTACK_TYPE.path();
        String typeName = entry.hasPath(typeKey) ? typed(entry, path, typeKey, ConfigValueType.STRING).toString() : label;
        AttackType type = AttackRegistry.find(typeName).orElseThrow(() -> GibbonException.config("config key '"
                + path + (entry.hasPath(typeKey) ? "." + typeKey : "") + "': unknown attack '" + typeName + "'"
                + Suggestions.didYouMean(typeName, AttackRegistry.names()).orElse(" (known: "
                + String.join(", ", AttackRegistry.names()) + ")")));
        Set<String> allowed = new java.util.TreeSet<>(List.of(typeKey, Settings.ATTACK_EPSILONS.path(),
                Settings.ATTACK_ENABLED.path(), Settings.ATTACK_SEARCH.path(), Settings.ATTACK_PRECISION.path()));
        type.parameters().forEach(p -> allowed.add(p.name()));
        for (String key : entry.root().keySet()) {
            if (!allowed.contains(key)) {
                throw unknown(path + "." + key, Stream.concat(allowed.stream().map(k -> path + "." + k),
                        Stream.<String>empty()).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new)));
            }
        }
        String enabled = Settings.ATTACK_ENABLED.path();
        if (entry.hasPath(enabled) && !(Boolean) typed(entry, path + "." + enabled, enabled, ConfigValueType.BOOLEAN)) {
            return null;
        }
        if (!entry.hasPath(Settings.ATTACK_EPSILONS.path())) {
            throw GibbonException.config("config key '" + path + ".epsilons' is required: " + Settings.ATTACK_EPSILONS.doc());
        }
        List<Double> epsilons = epsilons(path + ".epsilons", entry, type.norm());
        Map<String, Object> given = new LinkedHashMap<>();
        for (AttackParameter p : type.parameters()) {
            if (entry.hasPath(p.name())) {
                given.put(p.name(), parameter(path + "." + p.name(), entry, p));
            }
        }
        AttackParams params = type.params(path, given);
        String searchKey = Settings.ATTACK_SEARCH.path();
        String search = entry.hasPath(searchKey) ? typed(entry, path + "." + searchKey, searchKey, ConfigValueType.STRING)
                .toString() : (String) Settings.ATTACK_SEARCH.defaultValue();
        if (!search.equals(AttackPlan.SWEEP) && !search.equals(AttackPlan.BISECT)) {
            throw GibbonException.config("config key '" + path + "." + searchKey + "': '" + search
                    + "' is not sweep or bisect");
        }
        String precisionKey = Settings.ATTACK_PRECISION.path();
        double precision = entry.hasPath(precisionKey)
                ? ((Number) typed(entry, path + "." + precisionKey, precisionKey, ConfigValueType.NUMBER)).doubleValue()
                : (Double) Settings.ATTACK_PRECISION.defaultValue();
        if (!(precision > 0)) {
            throw GibbonException.config("config key '" + path + "." + precisionKey + "' must be positive, got " + precision);
        }
        return new AttackPlan(label, type.name(), params, epsilons, search, precision);
    }

    private static List<Double> epsilons(String path, Config entry, Norm norm) {
        ConfigValue raw = entry.getValue(Settings.ATTACK_EPSILONS.path());
        List<Double> out = new ArrayList<>();
        if (raw.valueType() == ConfigValueType.NUMBER) {
            out.add(((Number) raw.unwrapped()).doubleValue());
        } else if (raw.valueType() == ConfigValueType.LIST) {
            for (Object o : (List<?>) raw.unwrapped()) {
                if (!(o instanceof Number n)) {
                    throw GibbonException.config("config key '" + path + "': expected a list of numbers, found '" + o + "'");
                }
                out.add(n.doubleValue());
            }
        } else {
            throw GibbonException.config("config key '" + path + "': expected a list of numbers, got "
                    + raw.valueType().name().toLowerCase());
        }
        if (out.isEmpty()) {
            throw GibbonException.config("config key '" + path + "': the list is empty");
        }
        for (double e : out) {
            if (!(e >= 0) || Double.isInfinite(e)) {
                throw GibbonException.config("config key '" + path + "': epsilon " + e + " is negative or not a number");
            }
            if (norm == Norm.LINF && e > 1) {
                throw GibbonException.config("config key '" + path + "': epsilon " + e
                        + " exceeds 1, the whole [0, 1] pixel range, for an L-infinity attack");
            }
        }
        if (out.stream().distinct().count() != out.size()) {
            throw GibbonException.config("config key '" + path + "': epsilon values repeat");
        }
        // Every curve starts at the clean point; it costs nothing (the clean pass is shared).
        if (!out.contains(0.0)) {
            out.add(0.0);
        }
        return out.stream().sorted().toList();
    }

    private static Object parameter(String path, Config entry, AttackParameter p) {
        if (p.type() == Boolean.class) {
            return typed(entry, path, p.name(), ConfigValueType.BOOLEAN);
        }
        if (p.type() == String.class) {
            // A bare number (target = 3) is as good as a string here.
            ConfigValue v = entry.getValue(p.name());
            String text = v.valueType() == ConfigValueType.NUMBER || v.valueType() == ConfigValueType.STRING
                    ? v.unwrapped().toString() : null;
            if (text == null || !text.matches(p.pattern())) {
                throw GibbonException.config("config key '" + path + "': expected " + p.pattern().replace("|", " | ")
                        + ", got " + describe(v));
            }
            return text;
        }
        Number n = (Number) typed(entry, path, p.name(), ConfigValueType.NUMBER);
        if (p.type() == Integer.class && (n.doubleValue() != Math.rint(n.doubleValue()) || Math.abs(n.doubleValue()) > Integer.MAX_VALUE)) {
            throw GibbonException.config("config key '" + path + "': expected an integer, got " + n);
        }
        if (p.minimum() != null && n.doubleValue() < p.minimum()) {
            throw GibbonException.config("config key '" + path + "' is " + n + ", must be at least "
                    + (p.type() == Integer.class ? String.valueOf(p.minimum().intValue()) : String.valueOf(p.minimum())));
        }
        return p.type() == Integer.class ? (Object) n.intValue() : (Object) n.doubleValue();
    }

    private static Object typed(Config entry, String path, String key, ConfigValueType expected) {
        ConfigValue v = entry.getValue(key);
        ConfigValue coerced = v;
        if (v.valueType() == ConfigValueType.STRING && expected != ConfigValueType.STRING) {
            // --set values arrive as strings; accept those that read as the expected type.
            try {
                coerced = ConfigFactory.parseString("v = " + v.unwrapped()).getValue("v");
            } catch (ConfigException e) {
                coerced = v;
            }
        }
        if (coerced.valueType() != expected) {
            String what = expected == ConfigValueType.NUMBER ? "a number"
                    : expected == ConfigValueType.BOOLEAN ? "true or false" : "a string";
            throw GibbonException.config("config key '" + path + "': expected " + what + ", got " + describe(v));
        }
        return coerced.unwrapped();
    }

    private static String describe(ConfigValue v) {
        return v.valueType().name().toLowerCase() + (v.valueType() == ConfigValueType.STRING ? " '" + v.unwrapped() + "'" : "");
    }

    private static com.typesafe.config.ConfigObject renderPlans(List<AttackPlan> plans) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (AttackPlan p : plans) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("attack", p.type());
            entry.put("epsilons", p.epsilons());
            entry.put("search", p.search());
            entry.put("precision", p.precision());
            entry.putAll(p.params().values());
            out.put(p.label(), entry);
        }
        return ConfigValueFactory.fromMap(out);
    }

    private static String string(Config c, ConfigKey key) {
        try {
            ConfigValue v = c.getValue(key.path());
            if (v.valueType() != ConfigValueType.STRING && v.valueType() != ConfigValueType.NUMBER
                    && v.valueType() != ConfigValueType.BOOLEAN) {
                throw GibbonException.config("config key '" + key.path() + "': expected a string, got "
                        + v.valueType().name().toLowerCase());
            }
            return c.getString(key.path());
        } catch (ConfigException e) {
            throw GibbonException.config("config key '" + key.path() + "': " + oneLine(e.getMessage()));
        }
    }

    private static String nonEmpty(Config c, ConfigKey key) {
        String s = string(c, key);
        if (s.isBlank()) {
            throw GibbonException.config("config key '" + key.path() + "' is empty: " + key.doc());
        }
        return s;
    }

    /** A name that SQL statements and Spark property keys are built from, so unquoted text only. */
    private static String identifier(Config c, ConfigKey key) {
        String s = nonEmpty(c, key);
        if (!s.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw GibbonException.config("config key '" + key.path() + "': '" + s + "' is not an identifier: use letters,"
                    + " digits and '_', starting with a letter or '_'");
        }
        return s;
    }

    private static Number number(Config c, ConfigKey key) {
        try {
            Number n = c.getNumber(key.path());
            if ((key.type() == ConfigKey.Type.INT || key.type() == ConfigKey.Type.LONG)
                    && n.doubleValue() != Math.rint(n.doubleValue())) {
                throw GibbonException.config("config key '" + key.path() + "': expected an integer, got " + n);
            }
            if (key.type() == ConfigKey.Type.INT && Math.abs(n.doubleValue()) > Integer.MAX_VALUE) {
                throw GibbonException.config("config key '" + key.path() + "': " + n + " is too large");
            }
            return n;
        } catch (ConfigException.WrongType e) {
            throw GibbonException.config("config key '" + key.path() + "': expected " + key.type().description()
                    + ", got " + describe(c.getValue(key.path())));
        }
    }

    private static int nonNegative(Config c, ConfigKey key) {
        int n = number(c, key).intValue();
        if (n < 0) {
            throw GibbonException.config("config key '" + key.path() + "' is " + n + ", must be 0 or more");
        }
        return n;
    }

    private static double fraction(Config c, ConfigKey key) {
        double v = number(c, key).doubleValue();
        if (!(v >= 0 && v <= 1)) {
            throw GibbonException.config("config key '" + key.path() + "' is " + v + ", expected a fraction in [0, 1]");
        }
        return v;
    }

    private static int positive(Config c, ConfigKey key) {
        int n = number(c, key).intValue();
        if (n < 1) {
            throw GibbonException.config("config key '" + key.path() + "' is " + n + ", must be at least 1");
        }
        return n;
    }

    private static Map<String, String> stringMap(Config c, ConfigKey key) {
        ConfigValue v = c.getValue(key.path());
        if (v.valueType() != ConfigValueType.OBJECT) {
            throw GibbonException.config("config key '" + key.path() + "': expected " + key.type().description());
        }
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, ConfigValue> e : ((ConfigObject) v).entrySet()) {
            collect(key.path(), e.getKey(), e.getValue(), out);
        }
        return Map.copyOf(out);
    }

    /** Flattens nested objects, so both {@code fs.s3a.x = 1} and {@code "fs.s3a.x" = 1} work. */
    private static void collect(String base, String key, ConfigValue v, Map<String, String> out) {
        if (v.valueType() == ConfigValueType.OBJECT) {
            for (Map.Entry<String, ConfigValue> e : ((ConfigObject) v).entrySet()) {
                collect(base, key + "." + e.getKey(), e.getValue(), out);
            }
        } else if (v.valueType() == ConfigValueType.LIST || v.valueType() == ConfigValueType.NULL) {
            throw GibbonException.config("config key '" + base + "." + key + "': expected a string value");
        } else {
            out.put(key, String.valueOf(v.unwrapped()));
        }
    }

    static String oneLine(String message) {
        String first = message == null ? "invalid config" : message.lines().findFirst().orElse("invalid config");
        return first.replaceFirst("^(.*?): (\\d+): ", "$1: line $2: ");
    }
}
