package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import gibbon.GibbonException;
import gibbon.data.Batches;
import gibbon.data.Example;
import gibbon.metrics.PredictionRecord;
import gibbon.model.Classifier;
import gibbon.model.TargetModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Runs every planned attack at every epsilon over a stream of examples, batch by batch, and
 * yields one {@link PredictionRecord} per (example, attack, epsilon). The {@link Crafter} does the
 * attacking (threat model, carry-over, judging, minimal epsilon); this class owns batching, one
 * NDManager per batch, which examples keep their adversarial inputs, and the rows. Epsilon 0 is the
 * clean input itself, so its rows equal the clean prediction.
 */
public final class AttackSweep {
    private final Crafter crafter;
    private final List<AttackPlan> plans;
    private final int batchSize;
    private final AdversarialSample sample;

    public AttackSweep(Classifier model, List<AttackPlan> plans, long runSeed, int batchSize) {
        this(model, plans, runSeed, batchSize, AdversarialSample.NONE);
    }

    /** @param sample the examples whose records carry their adversarial inputs */
    public AttackSweep(Classifier model, List<AttackPlan> plans, long runSeed, int batchSize, AdversarialSample sample) {
        this(model, model, plans, runSeed, batchSize, sample);
    }

    /** @param attacked what the attacks craft against: {@code model}, or a wrapper that observes it */
    AttackSweep(Classifier model, TargetModel attacked, List<AttackPlan> plans, long runSeed, int batchSize,
            AdversarialSample sample) {
        this.crafter = new Crafter(model, attacked, runSeed);
        this.plans = List.copyOf(plans);
        this.batchSize = batchSize;
        this.sample = sample;
    }

    /** Number of records each example yields. */
    public int recordsPerExample() {
        return plans.stream().mapToInt(p -> p.budgets().size()).sum();
    }

    /**
     * Lazily attacks the examples batch by batch.
     *
     * @param onBatchDone called with the number of examples after each batch (progress)
     */
    public Iterator<PredictionRecord> run(Iterator<Example> examples, IntConsumer onBatchDone) {
        return Batches.flatMap(examples, batchSize, batch -> {
            List<PredictionRecord> records = attackBatch(batch);
            onBatchDone.accept(batch.size());
            return records;
        });
    }

    /**
     * Judges a few clean examples and nothing else: a model that returns NaN on real inputs, or
     * inputs that do not fit it, fail here in a second, before a run starts and any table changes.
     *
     * @throws gibbon.GibbonException of kind MODEL or DATA naming the model or the example
     */
    public void probe(List<Example> examples) {
        if (examples.isEmpty()) {
            return;
        }
        try (NDManager manager = crafter.model().newBatchManager()) {
            NDArray x;
            try {
                x = crafter.inputs(manager, examples);
            } catch (IllegalArgumentException e) {
                throw GibbonException.data(e.getMessage());
            }
            crafter.judge(x, examples.stream().mapToInt(Example::label).toArray(),
                    examples.stream().mapToLong(Example::id).toArray());
        }
    }

    /** Attacks one batch; every NDArray it makes dies with the batch's manager. */
    public List<PredictionRecord> attackBatch(List<Example> batch) {
        long[] ids = batch.stream().mapToLong(Example::id).toArray();
        int[] labels = batch.stream().mapToInt(Example::label).toArray();
        int[] kept = Rows.where(keeps(ids));
        List<PredictionRecord> out = new ArrayList<>(batch.size() * recordsPerExample());
        try (NDManager manager = crafter.model().newBatchManager()) {
            NDArray x = crafter.inputs(manager, batch);
            NDArray y = manager.create(labels);
            Crafter.Judgement clean = crafter.judge(x, labels, ids);
            for (AttackPlan plan : plans) {
                List<Budget> rows = new ArrayList<>(plan.budgets().size());
                if (plan.budgets().clean()) {
                    rows.add(new Budget(0.0, clean, new float[ids.length], new float[ids.length], sampledRows(x, kept),
                            null, null));
                }
                List<Crafter.Judgement> judged = new ArrayList<>();
                // One scope for the attack's whole sweep: attacks may share work across budgets.
                try (NDScope scope = new NDScope()) {
                    List<Crafter.Outcome> outcomes = crafter.outcomes(plan, x, y, ids, labels);
                    for (int k = 0; k < outcomes.size(); k++) {
                        rows.add(Budget.of(plan.budgets().positive().get(k), outcomes.get(k), x, kept));
                        judged.add(outcomes.get(k).judged());
                    }
                }
                double[] minEpsilon = crafter.minimalEpsilons(plan, x, y, ids, labels, clean, judged);
                Examples examples = new Examples(plan.label(), plan.norm().tableName(), ids, labels, clean, minEpsilon,
                        keptAt(ids.length, kept), crafter.exampleSize());
                for (Budget budget : rows) {
                    for (int i = 0; i < ids.length; i++) {
                        out.add(budget.record(examples, i));
                    }
                }
            }
        }
        return out;
    }

    /** Per example of the batch, whether its adversarial inputs are kept. */
    private boolean[] keeps(long[] ids) {
        boolean[] out = new boolean[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = sample.keeps(ids[i]);
        }
        return out;
    }

    /** Per example of the batch, its position among the kept rows, -1 if it is not kept. */
    private static int[] keptAt(int n, int[] kept) {
        int[] out = new int[n];
        Arrays.fill(out, -1);
        for (int j = 0; j < kept.length; j++) {
            out[kept[j]] = j;
        }
        return out;
    }

    /** The sampled rows of a batch, copied to the host in one transfer; null when there are none. */
    private static float[] sampledRows(NDArray batch, int[] rows) {
        if (rows.length == 0) {
            return null;
        }
        try (NDArray selected = Rows.select(batch, rows)) {
            return selected.toFloatArray();
        }
    }

    /**
     * What every row of a batch under one plan shares, per example: identity, the clean judgement,
     * the minimal fooling epsilon, and where its kept inputs lie among the sampled rows.
     */
    private record Examples(String attack, String norm, long[] ids, int[] labels, Crafter.Judgement clean,
            double[] minEpsilon, int[] keptAt, int exampleSize) {}

    /**
     * One budget's results on a batch, host-side: the judgement, each example's perturbation sizes,
     * the sampled examples' inputs, and what the attack said about targets and breakers.
     *
     * @param sampled the kept examples' inputs one after another, null when none is kept
     */
    private record Budget(double epsilon, Crafter.Judgement judged, float[] linf, float[] l2, float[] sampled,
            int[] targets, String[] brokenBy) {

        static Budget of(double epsilon, Crafter.Outcome o, NDArray x, int[] kept) {
            NDArray delta = o.adversarial().sub(x);
            return new Budget(epsilon, o.judged(), Norm.LINF.perExample(delta).toFloatArray(),
                    Norm.L2.perExample(delta).toFloatArray(), sampledRows(o.adversarial(), kept), o.targets(), o.brokenBy());
        }

        /** The row of example {@code i}. */
        PredictionRecord record(Examples e, int i) {
            int predicted = judged.predicted()[i];
            Integer target = targets == null || targets[i] == Attack.Crafted.NO_TARGET ? null : targets[i];
            int at = e.keptAt()[i];
            float[] input = at < 0 ? null : Arrays.copyOfRange(sampled, at * e.exampleSize(), (at + 1) * e.exampleSize());
            return new PredictionRecord(e.ids()[i], e.labels()[i], e.attack(), e.norm(), epsilon, predicted,
                    predicted == e.labels()[i], judged.confidence()[i], judged.trueClassProb()[i], linf[i], l2[i],
                    e.clean().predicted()[i] == e.labels()[i], e.minEpsilon()[i], target,
                    target == null ? null : predicted == target, brokenBy == null ? null : brokenBy[i], input);
        }
    }
}
