package gibbon.config;

import gibbon.attack.AttackPlan;
import gibbon.data.DatasetSpec;
import gibbon.model.ModelSpec;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * A validated experiment: everything a run needs, checked before Spark starts. Serializable, so
 * Spark ships it to executors. Load it with {@link ConfigLoader}.
 *
 * @param transferModels every model a transfer attack names, by name ('model' is the main model)
 * @param transferSources models to craft on; empty: no transfer attacks
 * @param transferTargets models to evaluate the crafted examples on
 * @param adversarialFraction share of examples whose adversarial inputs are stored
 * @param resolvedJson the whole resolved config (defaults included) as JSON, recorded in
 *     {@code runs.config}
 */
public record ExperimentConfig(
        long seed,
        DatasetSpec dataset,
        ModelSpec model,
        String modelDevice,
        int batchSize,
        int threads,
        List<AttackPlan> attacks,
        String sparkMaster,
        Map<String, String> sparkConf,
        String catalog,
        String catalogType,
        String warehouse,
        String namespace,
        double adversarialFraction,
        Map<String, String> catalogProperties,
        Map<String, String> hadoop,
        Map<String, ModelSpec> transferModels,
        List<String> transferSources,
        List<String> transferTargets,
        String resolvedJson)
        implements Serializable {}
