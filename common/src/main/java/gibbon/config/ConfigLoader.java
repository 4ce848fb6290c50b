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
import gibbon.attack.AttackPlan;
import gibbon.model.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads an experiment config (HOCON) plus {@code --set key=value} overrides, fills defaults from
 * {@code reference.conf} ({@link ReferenceConfig}), rejects undeclared keys, and hands each part of
 * the config (attacks, sweep, model, output, dataset, spark, transfer, certify) to the class that parses and
 * validates it. Every problem becomes one {@link GibbonException} of kind CONFIG whose message
 * names the key or file.
 */
public final class ConfigLoader {
    private ConfigLoader() {}

    /** Loads a config file with overrides applied on top. */
    public static ExperimentConfig load(Path file, List<String> overrides) {
        return fromConfig(parseFile(file), overrides);
    }

    /** Validates an already parsed config with overrides applied on top. */
    public static ExperimentConfig fromConfig(Config base, List<String> overrides) {
        Config c = declared(base, overrides, Settings.ALL, ReferenceConfig.experiment());
        List<AttackPlan> attacks = AttackSettings.parse(c);
        SweepSettings sweep = SweepSettings.parse(c);
        ModelSettings model = ModelSettings.parse(c);
        OutputSettings output = OutputSettings.parse(c);
        long seed = Values.number(c, Settings.SEED).longValue();
        CertifySettings certify = CertifySettings.parse(c);
        TransferSettings transfer = TransferSettings.parse(c, model.spec());
        Map<String, ModelSpec> others = JobModels.parse(c, model.spec(), transfer);
        // A run records the config of a one-model run: without 'models', without certify unless it
        // certifies (as before certification existed) and without the cache budget or model replicas unless set.
        Config recorded = c.withoutPath(Settings.MODELS.path());
        recorded = certify.enabled() ? recorded : recorded.withoutPath(CERTIFY);
        recorded = sweep.modelCacheBytes() > 0 ? recorded : recorded.withoutPath(Settings.MODEL_CACHE_BYTES.path());
        recorded = sweep.modelReplicas() > 1 ? recorded : recorded.withoutPath(Settings.MODEL_REPLICAS.path());
        recorded = recorded.withValue(Settings.ATTACKS.path(), AttackSettings.render(attacks));
        Map<String, String> runConfigs = new TreeMap<>();
        if (!others.isEmpty()) {
            runConfigs.put(Settings.MAIN_MODEL, json(recorded));
            for (String name : others.keySet()) {
                runConfigs.put(name, json(recorded.withValue(MODEL, ModelSettings.section(c, Settings.MODELS, name))));
            }
        }
        return new ExperimentConfig(seed, DatasetSettings.parse(c), model, sweep, attacks, SparkSettings.parse(c), output,
                transfer, Values.stringMap(c, Settings.HADOOP), certify, new JobModels(others, runConfigs), json(recorded));
    }

    private static String json(Config recorded) {
        return redacted(recorded).root().render(ConfigRenderOptions.concise());
    }

    private static final String MODEL = "model";
    private static final String CERTIFY = "certify";

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
        return TrainingSettings.parse(declared(parseFile(file), overrides, TrainingSettings.ALL, ReferenceConfig.training()));
    }

    /**
     * Applies the overrides, resolves substitutions, rejects undeclared keys, fills defaults and
     * checks that every required key is there.
     */
    private static Config declared(Config base, List<String> overrides, List<ConfigKey> keys, Config defaults) {
        Config merged = base;
        for (String override : overrides) {
            merged = parseOverride(override).withFallback(merged);
        }
        Config config;
        try {
            config = merged.resolve();
        } catch (ConfigException e) {
            throw GibbonException.config(Values.oneLine(e.getMessage()));
        }
        checkUnknownKeys(config, keys);
        Config withDefaults = config.withFallback(defaults);
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
            throw GibbonException.config(Values.oneLine(e.getMessage()));
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
            throw GibbonException.config("--set '" + override + "': " + Values.oneLine(e.getMessage()));
        }
    }

    private static void checkUnknownKeys(Config config, List<ConfigKey> keys) {
        Set<String> declared = new TreeSet<>();
        keys.forEach(k -> declared.add(k.path()));
        for (Map.Entry<String, ConfigValue> entry : config.root().entrySet()) {
            String top = entry.getKey();
            boolean section = keys.stream().anyMatch(k -> k.path().startsWith(top + "."));
            if (!section && !declared.contains(top)) {
                throw Values.unknown(top, declared);
            }
            if (section && entry.getValue().valueType() == ConfigValueType.OBJECT) {
                for (String child : ((ConfigObject) entry.getValue()).keySet()) {
                    String path = top + "." + quoteIfNeeded(child);
                    if (!declared.contains(path)) {
                        throw Values.unknown(path, declared);
                    }
                }
            }
        }
    }

    private static String quoteIfNeeded(String key) {
        return key.matches("[A-Za-z0-9_-]+") ? key : "\"" + key + "\"";
    }
}
