package gibbon.config;

import com.typesafe.config.Config;
import gibbon.GibbonException;
import gibbon.model.ModelSpec;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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
        models.putAll(ModelSettings.named(c, Settings.TRANSFER_MODELS));
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
