package gibbon.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import gibbon.GibbonException;
import gibbon.model.ModelSpec;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The {@code transfer} part of an experiment config: more models by name, and which of them
 * transfer attacks craft on and evaluate on.
 *
 * @param models every model a transfer attack names, by name ('model' is the main model)
 * @param sources models to craft on; empty: no transfer attacks
 * @param targets models to evaluate the crafted examples on
 */
public record TransferSettings(Map<String, ModelSpec> models, List<String> sources, List<String> targets)
        implements Serializable {
    private static final String MODEL = "model";

    /**
     * Reads and checks the {@code transfer} keys; each model takes the keys and defaults of 'model'.
     *
     * @param c the config, defaults filled
     * @param main the main model, named 'model'
     * @throws GibbonException of kind CONFIG naming the key at fault
     */
    public static TransferSettings parse(Config c, ModelSpec main) {
        List<String> sources = Values.strings(c, Settings.TRANSFER_SOURCES);
        List<String> targets = Values.strings(c, Settings.TRANSFER_TARGETS);
        Map<String, ModelSpec> models = new TreeMap<>();
        models.put(Settings.MAIN_MODEL, main);
        ConfigValue value = c.getValue(Settings.TRANSFER_MODELS.path());
        if (value.valueType() != ConfigValueType.OBJECT) {
            throw GibbonException.config("config key 'transfer.models': expected " + Settings.TRANSFER_MODELS.type().description());
        }
        Set<String> allowed = new TreeSet<>();
        Settings.MODEL_KEYS.forEach(k -> allowed.add(k.path().substring((MODEL + ".").length())));
        Config modelDefaults = ReferenceConfig.experiment().withOnlyPath(MODEL);
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
                    throw Values.unknown(path + "." + key, allowed.stream().map(k -> path + "." + k)
                            .collect(Collectors.toCollection(TreeSet::new)));
                }
            }
            Config withDefaults = ConfigFactory.empty().withValue(MODEL, entry.root()).withFallback(modelDefaults);
            models.put(name, ModelSettings.spec(withDefaults, path));
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
        return new TransferSettings(models, sources, targets);
    }
}
