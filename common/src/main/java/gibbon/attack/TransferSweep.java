package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import gibbon.data.Batches;
import gibbon.data.Example;
import gibbon.metrics.TransferRecord;
import gibbon.model.Classifier;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Transfer attacks: adversarial examples crafted on a source model by the same {@link Crafter} as
 * the white-box sweep (same seeds, same threat-model enforcement, same carry-over) and judged by
 * each target model. With the source as its own target this reproduces the white-box sweep.
 */
public final class TransferSweep {
    private final String sourceName;
    private final Crafter crafter;
    private final List<AttackPlan> plans;
    private final Map<String, Classifier> targets;
    private final int batchSize;

    /**
     * @param targets the models that judge the crafted examples, by name, in output order
     */
    public TransferSweep(String sourceName, Classifier source, Map<String, Classifier> targets, List<AttackPlan> plans,
            long runSeed, int batchSize) {
        this.sourceName = sourceName;
        this.crafter = new Crafter(source, runSeed);
        this.plans = List.copyOf(plans);
        this.targets = new LinkedHashMap<>(targets);
        this.batchSize = batchSize;
    }

    /** Lazily crafts and judges the examples batch by batch. */
    public Iterator<TransferRecord> run(Iterator<Example> examples) {
        return Batches.flatMap(examples, batchSize, this::transferBatch);
    }

    private List<TransferRecord> transferBatch(List<Example> batch) {
        int n = batch.size();
        long[] ids = batch.stream().mapToLong(Example::id).toArray();
        int[] labels = batch.stream().mapToInt(Example::label).toArray();
        List<TransferRecord> out = new ArrayList<>();
        try (NDManager manager = crafter.model().newBatchManager()) {
            NDArray x = crafter.inputs(manager, batch);
            NDArray y = manager.create(labels);
            Map<String, Crafter.Judgement> clean = new LinkedHashMap<>();
            targets.forEach((name, target) -> clean.put(name, Crafter.judge(target, x, labels, ids)));
            for (AttackPlan plan : plans) {
                String norm = plan.norm().tableName();
                // One scope per attack: attacks may share work across budgets.
                try (NDScope scope = new NDScope()) {
                    List<NDArray> inputs = new ArrayList<>();
                    if (plan.budgets().clean()) {
                        inputs.add(x);
                    }
                    crafter.outcomes(plan, x, y, ids, labels).forEach(o -> inputs.add(o.adversarial()));
                    List<Double> epsilons = plan.epsilons();
                    for (int k = 0; k < epsilons.size(); k++) {
                        for (Map.Entry<String, Classifier> t : targets.entrySet()) {
                            Crafter.Judgement j = Crafter.judge(t.getValue(), inputs.get(k), labels, ids);
                            Crafter.Judgement c = clean.get(t.getKey());
                            for (int i = 0; i < n; i++) {
                                out.add(new TransferRecord(ids[i], labels[i], plan.label(), norm, epsilons.get(k),
                                        sourceName, t.getKey(), j.predicted()[i], j.predicted()[i] == labels[i],
                                        j.confidence()[i], c.predicted()[i] == labels[i]));
                            }
                        }
                    }
                }
            }
        }
        return out;
    }
}
