package gibbon.config;

import com.typesafe.config.Config;
import gibbon.GibbonException;
import gibbon.model.ModelSpec;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code models} part of an experiment config: more models one job attacks besides 'model'.
 * The job reads and partitions the examples once and attacks them with each model in turn; each
 * model is a run of its own (its own run id and {@code runs} row), whose rows and recorded config
 * are those of a one-model run with {@code model} set to that entry.
 *
 * @param models the other models by name; empty: a one-model job
 * @param recorded by model name ('model' included when there are others): the resolved config a
 *     one-model run of that model records in {@code runs.config}
 */
public record JobModels(Map<String, ModelSpec> models, Map<String, String> recorded) implements Serializable {
    /** A one-model job. */
    public static final JobModels NONE = new JobModels(Map.of(), Map.of());

    /**
     * Reads and checks the {@code models} keys.
     *
     * @param c the config, defaults filled
     * @param main the model of {@code model}
     * @param transfer the transfer settings, which a job of several models cannot have
     * @throws GibbonException of kind CONFIG naming the key at fault
     */
    static Map<String, ModelSpec> parse(Config c, ModelSpec main, TransferSettings transfer) {
        Map<String, ModelSpec> models = ModelSettings.named(c, Settings.MODELS);
        Map<ModelSpec, String> seen = new HashMap<>();
        seen.put(main, Settings.MAIN_MODEL);
        for (Map.Entry<String, ModelSpec> e : models.entrySet()) {
            String key = Settings.MODELS.path() + "." + e.getKey();
            if (!e.getKey().matches("[A-Za-z0-9_-]{1,40}")) {
                throw GibbonException.config("config key '" + key + "': a model name is 1-40 letters, digits, '_' or '-'");
            }
            String twin = seen.putIfAbsent(e.getValue(), key);
            if (twin != null) {
                throw GibbonException.config("config key '" + key + "': the same model as '" + twin
                        + "' (format, uri and inputs); a job attacks each model once");
            }
        }
        if (!models.isEmpty() && !transfer.sources().isEmpty()) {
            throw GibbonException.config("config key '" + Settings.MODELS.path() + "': a job of several models cannot"
                    + " run transfer attacks (transfer.sources); run those in a job without 'models'");
        }
        return new TreeMap<>(models);
    }
}
