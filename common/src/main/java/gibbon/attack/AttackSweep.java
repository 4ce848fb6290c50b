package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import gibbon.GibbonException;
import gibbon.data.Batches;
import gibbon.data.Example;
import gibbon.metrics.PredictionRecord;
import gibbon.model.Classifier;
import gibbon.model.TargetModel;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Runs every planned attack at every epsilon over a stream of examples, batch by batch, and
 * yields one {@link PredictionRecord} per (example, attack, epsilon). It owns what attacks must not:
 * batching, one NDManager per batch, seeds, and the threat model: whatever an attack returns is
 * projected onto its epsilon-ball and clipped to [0, 1] before it is judged. Epsilon 0 is the
 * clean input itself, so its rows equal the clean prediction. For attacks that allow it
 * ({@link Attack#carry()}) it attacks the budgets in ascending order, each only on the examples
 * that smaller ones left unbroken, and reuses the earlier adversarial for the others. It also finds
 * each example's minimal fooling epsilon per attack (from the sweep, or by bisection when the plan
 * asks).
 */
public final class AttackSweep {
    private final Classifier model;
    /** The model as the attacks see it: {@link #model} itself, or a wrapper (tests count its gradients). */
    private final TargetModel attacked;
    private final List<AttackPlan> plans;
    private final List<Attack> attacks;
    private final long runSeed;
    private final int batchSize;
    private final Shape exampleShape;
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
        this.model = model;
        this.attacked = attacked;
        this.plans = List.copyOf(plans);
        this.attacks = plans.stream().map(AttackPlan::create).toList();
        this.runSeed = runSeed;
        this.batchSize = batchSize;
        int[] s = model.metadata().inputShape();
        this.exampleShape = new Shape(s[0], s[1], s[2]);
        this.sample = sample;
    }

    /** The model attacks are crafted on. */
    Classifier model() {
        return model;
    }

    /** Number of records each example yields. */
    public int recordsPerExample() {
        return plans.stream().mapToInt(p -> p.epsilons().size()).sum();
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
        try (NDManager manager = model.newBatchManager()) {
            NDArray x;
            try {
                x = inputs(manager, examples);
            } catch (IllegalArgumentException e) {
                throw GibbonException.data(e.getMessage());
            }
            judge(model, x, examples.stream().mapToInt(Example::label).toArray(),
                    examples.stream().mapToLong(Example::id).toArray());
        }
    }

    /** Attacks one batch; every NDArray it makes dies with the batch's manager. */
    public List<PredictionRecord> attackBatch(List<Example> batch) {
        int n = batch.size();
        long[] ids = batch.stream().mapToLong(Example::id).toArray();
        int[] labels = batch.stream().mapToInt(Example::label).toArray();
        // Position of each sampled example among the batch's sampled rows, -1 for the others.
        int[] keptAt = new int[n];
        List<Integer> keptRows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            keptAt[i] = sample.keeps(ids[i]) ? keptRows.size() : -1;
            if (keptAt[i] >= 0) {
                keptRows.add(i);
            }
        }
        int[] kept = keptRows.stream().mapToInt(Integer::intValue).toArray();
        List<PredictionRecord> out = new ArrayList<>(n * recordsPerExample());
        try (NDManager manager = model.newBatchManager()) {
            NDArray x = inputs(manager, batch);
            NDArray y = manager.create(labels);
            Judgement clean = judge(model, x, labels, ids);
            for (int a = 0; a < plans.size(); a++) {
                AttackPlan plan = plans.get(a);
                Attack attack = attacks.get(a);
                List<Double> epsilons = plan.epsilons();
                Judgement[] judged = new Judgement[epsilons.size()];
                float[][] linf = new float[epsilons.size()][];
                float[][] l2 = new float[epsilons.size()][];
                float[][] inputs = new float[epsilons.size()][];
                int[][] targets = new int[epsilons.size()][];
                String[][] brokenBy = new String[epsilons.size()][];
                List<Integer> swept = new ArrayList<>();
                for (int k = 0; k < epsilons.size(); k++) {
                    if (epsilons.get(k) == 0) {
                        judged[k] = clean;
                        linf[k] = new float[n];
                        l2[k] = new float[n];
                        inputs[k] = sampledRows(x, kept);
                    } else {
                        swept.add(k);
                    }
                }
                // One scope for the attack's whole sweep: attacks may share work across budgets.
                try (NDScope scope = new NDScope()) {
                    List<Outcome> outcomes = outcomes(attack, plan.label(), x, y, ids, labels,
                            swept.stream().map(epsilons::get).toList());
                    for (int j = 0; j < swept.size(); j++) {
                        int k = swept.get(j);
                        Outcome o = outcomes.get(j);
                        targets[k] = o.targets();
                        brokenBy[k] = o.brokenBy();
                        judged[k] = o.judged();
                        NDArray delta = o.adversarial().sub(x);
                        linf[k] = Norm.LINF.perExample(delta).toFloatArray();
                        l2[k] = Norm.L2.perExample(delta).toFloatArray();
                        inputs[k] = sampledRows(o.adversarial(), kept);
                    }
                }
                double[] minEpsilon = sweepMinimum(epsilons, judged, clean, labels);
                if (plan.search().equals(AttackPlan.BISECT)) {
                    bisect(plan, attack, x, y, ids, labels, epsilons, judged, minEpsilon);
                }
                for (int k = 0; k < epsilons.size(); k++) {
                    for (int i = 0; i < n; i++) {
                        Integer target = targets[k] == null || targets[k][i] == Attack.Crafted.NO_TARGET ? null
                                : targets[k][i];
                        out.add(new PredictionRecord(ids[i], labels[i], plan.label(), attack.norm().tableName(),
                                epsilons.get(k), judged[k].predicted[i], judged[k].predicted[i] == labels[i],
                                judged[k].confidence[i], judged[k].trueClassProb[i], linf[k][i], l2[k][i],
                                clean.predicted[i] == labels[i], minEpsilon[i], target,
                                target == null ? null : judged[k].predicted[i] == target,
                                brokenBy[k] == null ? null : brokenBy[k][i],
                                keptAt[i] >= 0 ? row(inputs[k], keptAt[i]) : null));
                    }
                }
            }
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

    /** Row {@code i}'s values out of several rows'. */
    private float[] row(float[] batch, int i) {
        int size = (int) exampleShape.size();
        return Arrays.copyOfRange(batch, i * size, (i + 1) * size);
    }

    /** The first epsilon of the sweep at which each example is wrong: 0 if clean-wrong, NaN if never. */
    private static double[] sweepMinimum(List<Double> epsilons, Judgement[] judged, Judgement clean, int[] labels) {
        double[] min = new double[labels.length];
        for (int i = 0; i < labels.length; i++) {
            min[i] = clean.predicted[i] != labels[i] ? 0 : Double.NaN;
            for (int k = 0; k < epsilons.size() && Double.isNaN(min[i]); k++) {
                if (judged[k].predicted[i] != labels[i]) {
                    min[i] = epsilons.get(k);
                }
            }
        }
        return min;
    }

    /**
     * Narrows each fooled example's minimal epsilon by bisection between the last sweep epsilon at
     * which it was still right and the first at which it was wrong, until the gap is at most the
     * plan's precision. Every step attacks the whole batch, each example at its own midpoint.
     */
    private void bisect(AttackPlan plan, Attack attack, NDArray x, NDArray y, long[] ids, int[] labels,
            List<Double> epsilons, Judgement[] judged, double[] minEpsilon) {
        int n = labels.length;
        double[] low = new double[n];
        double[] high = minEpsilon.clone();
        for (int i = 0; i < n; i++) {
            for (double e : epsilons) {
                if (e < high[i]) {
                    low[i] = Math.max(low[i], e);
                }
            }
        }
        while (true) {
            double[] mid = new double[n];
            boolean open = false;
            for (int i = 0; i < n; i++) {
                boolean active = !Double.isNaN(high[i]) && high[i] > 0 && high[i] - low[i] > plan.precision();
                open |= active;
                mid[i] = active ? (low[i] + high[i]) / 2 : (Double.isNaN(high[i]) ? 0 : high[i]);
            }
            if (!open) {
                break;
            }
            try (NDScope scope = new NDScope()) {
                Judgement j = judge(model, adversarial(attack, plan.label(), x, y, ids, mid), labels, ids);
                for (int i = 0; i < n; i++) {
                    if (!Double.isNaN(high[i]) && high[i] > 0 && high[i] - low[i] > plan.precision()) {
                        if (j.predicted[i] != labels[i]) {
                            high[i] = mid[i];
                        } else {
                            low[i] = mid[i];
                        }
                    }
                }
            }
        }
        System.arraycopy(high, 0, minEpsilon, 0, n);
    }

    /** The batch as one input array in [0, 1], shape (batch, channels, rows, columns). */
    NDArray inputs(NDManager manager, List<Example> batch) {
        int size = (int) exampleShape.size();
        boolean allPixels = true;
        for (Example e : batch) {
            if (e.size() != size) {
                throw new IllegalArgumentException("example " + e.id() + " has " + e.size() + " values, the model expects "
                        + exampleShape);
            }
            allPixels &= e.pixels() != null;
        }
        return allPixels ? pixels(manager, batch, size) : values(manager, batch, size);
    }

    /** A batch of byte pixels in [0, 1]: float32 true division by 255, as torchvision's ToTensor does. */
    private NDArray pixels(NDManager manager, List<Example> batch, int size) {
        byte[] bytes = new byte[batch.size() * size];
        for (int i = 0; i < batch.size(); i++) {
            System.arraycopy(batch.get(i).pixels(), 0, bytes, i * size, size);
        }
        return manager.create(ByteBuffer.wrap(bytes), new Shape(batch.size()).addAll(exampleShape), DataType.UINT8)
                .toType(DataType.FLOAT32, false).div(255f);
    }

    /** A batch mixing float values and byte pixels (rare: only some sources give floats). */
    private NDArray values(NDManager manager, List<Example> batch, int size) {
        float[] values = new float[batch.size() * size];
        for (int i = 0; i < batch.size(); i++) {
            Example e = batch.get(i);
            if (e.values() != null) {
                System.arraycopy(e.values(), 0, values, i * size, size);
            } else {
                for (int j = 0; j < size; j++) {
                    values[i * size + j] = (e.pixels()[j] & 0xff) / 255f;
                }
            }
        }
        return manager.create(values, new Shape(batch.size()).addAll(exampleShape));
    }

    /**
     * Runs one attack on a batch and enforces its threat model on the result: projection onto each
     * example's epsilon-ball around {@code x}, then clipping to [0, 1] (which can only shrink the
     * perturbation, so the result stays in the ball).
     */
    NDArray adversarial(Attack attack, String label, NDArray x, NDArray y, long[] ids, double[] epsilons) {
        return crafted(attack, label, x, y, ids, epsilons).adversarial();
    }

    /** As {@link #adversarial}, with what the attack says about each example's target and breaker. */
    Attack.Crafted crafted(Attack attack, String label, NDArray x, NDArray y, long[] ids, double[] epsilons) {
        return craftedEach(attack, label, x, y, ids, List.of(epsilons)).get(0);
    }

    /** As {@link #crafted}, for several budgets at once (one array of per-example budgets each). */
    List<Attack.Crafted> craftedEach(Attack attack, String label, NDArray x, NDArray y, long[] ids, List<double[]> budgets) {
        List<NDArray> eps = new ArrayList<>();
        List<ExampleRandom> randoms = new ArrayList<>();
        for (double[] epsilons : budgets) {
            float[] b = new float[epsilons.length];
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) epsilons[i];
            }
            eps.add(x.getManager().create(b).reshape(Norm.broadcastShape(x)));
            randoms.add(ExampleRandom.of(runSeed, ids, label, epsilons));
        }
        List<Attack.Crafted> crafted = attack.craftEach(attacked, x, y, eps, randoms);
        List<Attack.Crafted> out = new ArrayList<>(crafted.size());
        for (int k = 0; k < crafted.size(); k++) {
            Attack.Crafted c = crafted.get(k);
            NDArray adv = x.add(attack.norm().project(c.adversarial().sub(x), eps.get(k))).clip(0f, 1f);
            c.adversarial().close();
            out.add(new Attack.Crafted(adv, c.targets(), c.brokenBy()));
        }
        return out;
    }

    /**
     * One budget's result for the whole batch: the adversarial inputs (inside the ball and [0, 1]),
     * what the attack said about targets and breakers, and the model's judgement of the inputs.
     */
    record Outcome(NDArray adversarial, int[] targets, String[] brokenBy, Judgement judged) {}

    /**
     * One attack's results on a batch at each budget of its sweep (all greater than 0), in order:
     * carried over from smaller budgets where the attack allows it, each on its own otherwise.
     */
    List<Outcome> outcomes(Attack attack, String label, NDArray x, NDArray y, long[] ids, int[] labels,
            List<Double> epsilons) {
        if (epsilons.isEmpty()) {
            return List.of();
        }
        return attack.carry() == Attack.Carry.NONE ? eachOnItsOwn(attack, label, x, y, ids, labels, epsilons)
                : ascending(attack, label, x, y, ids, labels, epsilons);
    }

    /** Every budget attacked on every example (attacks may still share work across budgets). */
    private List<Outcome> eachOnItsOwn(Attack attack, String label, NDArray x, NDArray y, long[] ids, int[] labels,
            List<Double> epsilons) {
        List<double[]> budgets = new ArrayList<>();
        for (double e : epsilons) {
            budgets.add(filled(ids.length, e));
        }
        List<Outcome> out = new ArrayList<>();
        for (Attack.Crafted c : craftedEach(attack, label, x, y, ids, budgets)) {
            out.add(new Outcome(c.adversarial(), c.targets(), c.brokenBy(), judge(model, c.adversarial(), labels, ids)));
        }
        return out;
    }

    /**
     * The budgets in ascending order, each attacked only on the examples that no smaller budget
     * broke ({@link Attack#carry()}). A broken example's adversarial lies inside every larger ball,
     * so its rows at larger budgets reuse that adversarial and its judgement. An example still
     * unbroken gets the inputs a sweep of that budget alone would give it: its random stream depends
     * on its id and the budget, not on which examples share its batch.
     *
     * @return one outcome per budget, in the order of {@code epsilons}
     */
    private List<Outcome> ascending(Attack attack, String label, NDArray x, NDArray y, long[] ids, int[] labels,
            List<Double> epsilons) {
        int n = ids.length;
        Integer[] order = new Integer[epsilons.size()];
        for (int j = 0; j < order.length; j++) {
            order[j] = j;
        }
        Arrays.sort(order, (a, b) -> Double.compare(epsilons.get(a), epsilons.get(b)));
        Outcome[] out = new Outcome[order.length];
        boolean[] unbroken = new boolean[n];
        Arrays.fill(unbroken, true);
        Outcome previous = null;
        for (int j : order) {
            int[] open = Rows.where(unbroken);
            Outcome now;
            if (open.length == n) {
                Attack.Crafted c = crafted(attack, label, x, y, ids, filled(n, epsilons.get(j)));
                now = new Outcome(c.adversarial(), c.targets(), c.brokenBy(), judge(model, c.adversarial(), labels, ids));
            } else if (open.length == 0) {
                now = previous;
            } else {
                Attack.Crafted c = crafted(attack, label, Rows.select(x, open), Rows.select(y, open), Rows.pick(ids, open),
                        filled(open.length, epsilons.get(j)));
                Judgement judged = judge(model, c.adversarial(), Rows.pick(labels, open), Rows.pick(ids, open));
                now = new Outcome(Rows.scatter(previous.adversarial(), open, c.adversarial()),
                        merge(previous.targets(), n, open, c.targets()), merge(previous.brokenBy(), n, open, c.brokenBy()),
                        previous.judged().with(open, judged));
            }
            for (int i : open) {
                unbroken[i] = !broken(attack.carry(), now, labels, i);
            }
            out[j] = now;
            previous = now;
        }
        return List.of(out);
    }

    /** Whether example {@code i} of an outcome is broken in the sense of the attack's {@link Attack.Carry}. */
    private static boolean broken(Attack.Carry carry, Outcome outcome, int[] labels, int i) {
        int predicted = outcome.judged().predicted()[i];
        if (carry == Attack.Carry.TARGET_HIT) {
            int[] targets = outcome.targets();
            return targets != null && targets[i] != Attack.Crafted.NO_TARGET && predicted == targets[i];
        }
        return predicted != labels[i];
    }

    private static double[] filled(int n, double value) {
        double[] out = new double[n];
        Arrays.fill(out, value);
        return out;
    }

    /**
     * Per-example targets of {@code n} examples: {@code base}'s, with those at {@code at} replaced by
     * {@code update}'s ({@link Attack.Crafted#NO_TARGET} where the update has none); null when both are.
     */
    private static int[] merge(int[] base, int n, int[] at, int[] update) {
        if (base == null && update == null) {
            return null;
        }
        int[] out = base != null ? base.clone() : new int[n];
        if (base == null) {
            Arrays.fill(out, Attack.Crafted.NO_TARGET);
        }
        for (int j = 0; j < at.length; j++) {
            out[at[j]] = update == null ? Attack.Crafted.NO_TARGET : update[j];
        }
        return out;
    }

    /** As {@link #merge(int[], int, int[], int[])} for the components that broke examples. */
    private static String[] merge(String[] base, int n, int[] at, String[] update) {
        if (base == null && update == null) {
            return null;
        }
        String[] out = base != null ? base.clone() : new String[n];
        for (int j = 0; j < at.length; j++) {
            out[at[j]] = update == null ? null : update[j];
        }
        return out;
    }

    /** Predictions of a batch as Java arrays: class, its probability, and the true class's. */
    record Judgement(int[] predicted, float[] confidence, float[] trueClassProb) {
        /** This judgement with the entries at {@code at} replaced by those of {@code update}. */
        Judgement with(int[] at, Judgement update) {
            int[] p = predicted.clone();
            float[] c = confidence.clone();
            float[] t = trueClassProb.clone();
            for (int j = 0; j < at.length; j++) {
                p[at[j]] = update.predicted[j];
                c[at[j]] = update.confidence[j];
                t[at[j]] = update.trueClassProb[j];
            }
            return new Judgement(p, c, t);
        }
    }

    /**
     * The model's predictions on a batch. A NaN or infinite logit stops the run with a model error:
     * counted as "wrong", it would pass for robustness numbers.
     */
    static Judgement judge(Classifier model, NDArray x, int[] labels, long[] ids) {
        NDArray probs = model.logits(x).softmax(1);
        int n = labels.length;
        int classes = (int) probs.getShape().get(1);
        float[] p = probs.toFloatArray();
        int[] predicted = new int[n];
        float[] confidence = new float[n];
        float[] trueProb = new float[n];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < classes; c++) {
                if (!Float.isFinite(p[i * classes + c])) {
                    throw GibbonException.model(model.location() + ": the model returns NaN or infinite logits for"
                            + " example " + ids[i] + " (input values in [0, 1]); check its weights and its forward pass");
                }
            }
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (p[i * classes + c] > p[i * classes + best]) {
                    best = c;
                }
            }
            predicted[i] = best;
            confidence[i] = p[i * classes + best];
            trueProb[i] = p[i * classes + labels[i]];
        }
        return new Judgement(predicted, confidence, trueProb);
    }
}
