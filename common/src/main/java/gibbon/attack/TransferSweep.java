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
 * Transfer attacks: adversarial examples crafted on a source model (white-box, as in a sweep:
 * same seeds, same threat-model enforcement) and judged by each target model. With the source as
 * its own target this reproduces the white-box sweep.
 */
public final class TransferSweep {
    private final String sourceName;
    private final AttackSweep crafter;
    private final List<AttackPlan> plans;
    private final List<Attack> attacks;
    private final Map<String, Classifier> targets;
    private final int batchSize;

    /**
     * @param targets the models that judge the crafted examples, by name, in output order
     */
    public TransferSweep(String sourceName, Classifier source, Map<String, Classifier> targets, List<AttackPlan> plans,
            long runSeed, int batchSize) {
        this.sourceName = sourceName;
        this.crafter = new AttackSweep(source, plans, runSeed, batchSize);
        this.plans = List.copyOf(plans);
        this.attacks = plans.stream().map(AttackPlan::create).toList();
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
            Map<String, AttackSweep.Judgement> clean = new LinkedHashMap<>();
            targets.forEach((name, target) -> clean.put(name, AttackSweep.judge(target, x, labels, ids)));
            for (int a = 0; a < plans.size(); a++) {
                AttackPlan plan = plans.get(a);
                // Crafted as the white-box sweep crafts them (carry-over included), one scope per attack.
                try (NDScope scope = new NDScope()) {
                    List<AttackSweep.Outcome> crafted = crafter.outcomes(attacks.get(a), plan.label(), x, y, ids, labels,
                            plan.epsilons().stream().filter(e -> e > 0).toList());
                    int next = 0;
                    for (double epsilon : plan.epsilons()) {
                        NDArray adv = epsilon == 0 ? x : crafted.get(next++).adversarial();
                        for (Map.Entry<String, Classifier> t : targets.entrySet()) {
                            AttackSweep.Judgement j = AttackSweep.judge(t.getValue(), adv, labels, ids);
                            AttackSweep.Judgement c = clean.get(t.getKey());
                            for (int i = 0; i < n; i++) {
                                out.add(new TransferRecord(ids[i], labels[i], plan.label(), plan.norm().tableName(), epsilon,
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
