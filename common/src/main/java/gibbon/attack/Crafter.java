package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import gibbon.GibbonException;
import gibbon.data.Example;
import gibbon.model.Classifier;
import gibbon.model.TargetModel;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The framework's side of the attack contract, shared by the white-box sweep, the transfer sweep
 * and the bench: an {@link Attack} only crafts, and this class owns epsilon. It turns examples into
 * tensors, gives each attack its per-example budgets and random streams (from run seed, example id,
 * attack and epsilon), enforces the threat model on whatever comes back (projection onto the
 * epsilon-ball of the norm the registry declares, then clipping to [0, 1]), carries broken examples
 * over to larger budgets where the attack allows it, judges the results, and finds each example's
 * minimal fooling epsilon (from the sweep, or by bisection when the plan asks).
 */
public final class Crafter {
    private final Classifier model;
    /** The model as the attacks see it: {@link #model} itself, or a wrapper (tests count its gradients). */
    private final TargetModel attacked;
    private final long runSeed;
    private final Shape exampleShape;
    private final Map<AttackPlan, Attack> attacks = new ConcurrentHashMap<>();

    /** @param model the model attacks are crafted on and judged by */
    public Crafter(Classifier model, long runSeed) {
        this(model, model, runSeed);
    }

    /** @param attacked what the attacks craft against: {@code model}, or a wrapper that observes it */
    Crafter(Classifier model, TargetModel attacked, long runSeed) {
        this.model = model;
        this.attacked = attacked;
        this.runSeed = runSeed;
        int[] s = model.metadata().inputShape();
        this.exampleShape = new Shape(s[0], s[1], s[2]);
    }

    /** The model attacks are crafted on. */
    public Classifier model() {
        return model;
    }

    /** The number of values of one example. */
    int exampleSize() {
        return (int) exampleShape.size();
    }

    /** The batch as one input array in [0, 1], shape (batch, channels, rows, columns). */
    public NDArray inputs(NDManager manager, List<Example> batch) {
        int size = exampleSize();
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

    /** The plan's attack, built once per crafter (attacks keep no state between calls). */
    private Attack attack(AttackPlan plan) {
        return attacks.computeIfAbsent(plan, AttackPlan::create);
    }

    /**
     * Runs a plan's attack on a batch and enforces its threat model on the result: projection onto
     * each example's epsilon-ball around {@code x}, then clipping to [0, 1] (which can only shrink
     * the perturbation, so the result stays in the ball).
     *
     * @param epsilons each example's budget, greater than 0
     */
    public NDArray adversarial(AttackPlan plan, NDArray x, NDArray y, long[] ids, double[] epsilons) {
        return crafted(plan, x, y, ids, epsilons).adversarial();
    }

    /** As {@link #adversarial}, with what the attack says about each example's target and breaker. */
    Attack.Crafted crafted(AttackPlan plan, NDArray x, NDArray y, long[] ids, double[] epsilons) {
        return craftedEach(plan, x, y, ids, List.of(epsilons)).get(0);
    }

    /** As {@link #crafted}, for several budgets at once (one array of per-example budgets each). */
    List<Attack.Crafted> craftedEach(AttackPlan plan, NDArray x, NDArray y, long[] ids, List<double[]> budgets) {
        List<NDArray> eps = new ArrayList<>();
        List<ExampleRandom> randoms = new ArrayList<>();
        for (double[] epsilons : budgets) {
            float[] b = new float[epsilons.length];
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) epsilons[i];
            }
            eps.add(x.getManager().create(b).reshape(Norm.broadcastShape(x)));
            randoms.add(ExampleRandom.of(runSeed, ids, plan.label(), epsilons));
        }
        Norm norm = plan.norm();
        List<Attack.Crafted> crafted = attack(plan).craftEach(attacked, x, y, eps, randoms);
        List<Attack.Crafted> out = new ArrayList<>(crafted.size());
        for (int k = 0; k < crafted.size(); k++) {
            Attack.Crafted c = crafted.get(k);
            NDArray adv = x.add(norm.project(c.adversarial().sub(x), eps.get(k))).clip(0f, 1f);
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
     * A plan's results on a batch at each of its positive budgets, in ascending order: carried over
     * from smaller budgets where the attack allows it ({@link Attack#carry()}), each on its own
     * otherwise.
     */
    List<Outcome> outcomes(AttackPlan plan, NDArray x, NDArray y, long[] ids, int[] labels) {
        List<Double> budgets = plan.budgets().positive();
        if (budgets.isEmpty()) {
            return List.of();
        }
        return attack(plan).carry() == Attack.Carry.NONE ? eachOnItsOwn(plan, x, y, ids, labels, budgets)
                : ascending(plan, x, y, ids, labels, budgets);
    }

    /** Every budget attacked on every example (attacks may still share work across budgets). */
    private List<Outcome> eachOnItsOwn(AttackPlan plan, NDArray x, NDArray y, long[] ids, int[] labels,
            List<Double> budgets) {
        List<double[]> perExample = new ArrayList<>();
        for (double e : budgets) {
            perExample.add(filled(ids.length, e));
        }
        List<Outcome> out = new ArrayList<>();
        for (Attack.Crafted c : craftedEach(plan, x, y, ids, perExample)) {
            out.add(new Outcome(c.adversarial(), c.targets(), c.brokenBy(), judge(c.adversarial(), labels, ids)));
        }
        return out;
    }

    /**
     * The ascending budgets, each attacked only on the examples that no smaller budget broke. A
     * broken example's adversarial lies inside every larger ball, so its rows at larger budgets
     * reuse that adversarial and its judgement. An example still unbroken gets the inputs a sweep of
     * that budget alone would give it: its random stream depends on its id and the budget, not on
     * which examples share its batch.
     */
    private List<Outcome> ascending(AttackPlan plan, NDArray x, NDArray y, long[] ids, int[] labels,
            List<Double> budgets) {
        Attack.Carry carry = attack(plan).carry();
        int n = ids.length;
        List<Outcome> out = new ArrayList<>(budgets.size());
        boolean[] unbroken = new boolean[n];
        Arrays.fill(unbroken, true);
        Outcome previous = null;
        for (double epsilon : budgets) {
            int[] open = Rows.where(unbroken);
            Outcome now;
            if (open.length == n) {
                Attack.Crafted c = crafted(plan, x, y, ids, filled(n, epsilon));
                now = new Outcome(c.adversarial(), c.targets(), c.brokenBy(), judge(c.adversarial(), labels, ids));
            } else if (open.length == 0) {
                now = previous;
            } else {
                Attack.Crafted c = crafted(plan, Rows.select(x, open), Rows.select(y, open), Rows.pick(ids, open),
                        filled(open.length, epsilon));
                Judgement judged = judge(c.adversarial(), Rows.pick(labels, open), Rows.pick(ids, open));
                now = new Outcome(Rows.scatter(previous.adversarial(), open, c.adversarial()),
                        merge(previous.targets(), n, open, c.targets()), merge(previous.brokenBy(), n, open, c.brokenBy()),
                        previous.judged().with(open, judged));
            }
            for (int i : open) {
                unbroken[i] = !broken(carry, now, labels, i);
            }
            out.add(now);
            previous = now;
        }
        return out;
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

    /**
     * Each example's minimal fooling epsilon under a plan: 0 if the clean input is wrong, else the
     * first budget of the sweep at which it is wrong, narrowed by bisection when the plan asks; NaN
     * if no budget fools it.
     *
     * @param judged the judgements of the plan's {@link #outcomes} on the batch, one per budget
     */
    double[] minimalEpsilons(AttackPlan plan, NDArray x, NDArray y, long[] ids, int[] labels, Judgement clean,
            List<Judgement> judged) {
        List<Double> budgets = plan.budgets().positive();
        double[] min = new double[labels.length];
        for (int i = 0; i < labels.length; i++) {
            min[i] = clean.predicted[i] != labels[i] ? 0 : Double.NaN;
            for (int k = 0; k < budgets.size() && Double.isNaN(min[i]); k++) {
                if (judged.get(k).predicted[i] != labels[i]) {
                    min[i] = budgets.get(k);
                }
            }
        }
        if (plan.search().equals(AttackPlan.BISECT)) {
            bisect(plan, x, y, ids, labels, min);
        }
        return min;
    }

    /**
     * Narrows each fooled example's minimal epsilon by bisection between the last budget at which it
     * was still right (0 if none) and the first at which it was wrong, until the gap is at most the
     * plan's precision. Every step attacks the whole batch, each example at its own midpoint.
     */
    private void bisect(AttackPlan plan, NDArray x, NDArray y, long[] ids, int[] labels, double[] minEpsilon) {
        int n = labels.length;
        double[] low = new double[n];
        double[] high = minEpsilon.clone();
        for (int i = 0; i < n; i++) {
            for (double e : plan.budgets().positive()) {
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
                Judgement j = judge(adversarial(plan, x, y, ids, mid), labels, ids);
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

    /** This crafter's model's predictions on a batch (see {@link #judge(Classifier, NDArray, int[], long[])}). */
    Judgement judge(NDArray x, int[] labels, long[] ids) {
        return judge(model, x, labels, ids);
    }

    /**
     * A model's predictions on a batch. A NaN or infinite logit stops the run with a model error:
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
