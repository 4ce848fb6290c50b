package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import gibbon.model.TargetModel;
import java.util.Arrays;

/**
 * FAB-T, the targeted Fast Adaptive Boundary attack (Croce and Hein, <i>Minimally distorted
 * adversarial examples with a fast adaptive boundary attack</i>, ICML 2020), L-infinity or L2, as
 * in the AutoAttack code: a minimal-norm attack. Each step linearises the difference of the true
 * and the target logit at the current point, projects both the current point and the clean input
 * onto the linearised decision hyperplane within the box [0, 1], moves to a convex combination of
 * the two projections (weight of the clean one at most {@code alpha-max}, overshoot {@code eta}),
 * and on every adversarial point records it if it is the smallest so far and steps back toward
 * the clean input by {@code beta}. The target classes are those the clean input ranks highest
 * after the top one, each run only on the examples not yet broken within epsilon.
 *
 * <p>The box-constrained projection onto a hyperplane is computed exactly by bisection on its one
 * free parameter (the L-infinity radius, or the L2 Lagrange multiplier) instead of the
 * reference's sorting-based closed form: the constraint gain is monotone in that parameter.
 *
 * <p>Returns each example's smallest adversarial found, or the clean input where none was found;
 * the sweep then projects it onto the epsilon-ball.
 */
final class FabAttack implements Attack {
    private static final float TINY = 1e-12f;
    private static final int BISECTIONS = 30;
    private final Norm norm;
    private final int steps;
    private final int targetClasses;
    private final float eta;
    private final float beta;
    private final float alphaMax;

    FabAttack(Norm norm, int steps, int targetClasses, double eta, double beta, double alphaMax) {
        this.norm = norm;
        this.steps = steps;
        this.targetClasses = targetClasses;
        this.eta = (float) eta;
        this.beta = (float) beta;
        this.alphaMax = (float) alphaMax;
    }

    @Override
    public Crafted craft(TargetModel model, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random) {
        int[][] ranked = Rows.ranked(model.logits(x));
        int count = Math.min(targetClasses, ranked[0].length - 1);
        return Attempts.best(model, count, false, x, labels, epsilon, random, (a, rows, xs, ys, es, rs) -> {
            int[] t = new int[rows.length];
            for (int j = 0; j < rows.length; j++) {
                t[j] = ranked[rows[j]][a + 1];
            }
            return run(model, xs, ys, Rows.classes(ys, t), t, es);
        });
    }

    /**
     * One targeted run. Its score is epsilon minus the size of the adversarial found (above 0 when
     * broken within epsilon, larger for smaller ones), negative infinity where none was found.
     */
    private Attempts.Result run(TargetModel model, NDArray x, NDArray labels, NDArray targets, int[] t, NDArray epsilon) {
        int n = (int) x.getShape().get(0);
        int[] y = Rows.ints(labels);
        float[] smallest = new float[n];
        Arrays.fill(smallest, Float.POSITIVE_INFINITY);
        NDArray found = x.duplicate();
        NDArray current = x.duplicate();
        TargetModel.LogitLoss difference = logits -> Losses.pick(logits, labels).sub(Losses.pick(logits, targets));
        long[] perExample = Norm.broadcastShape(x);
        for (int i = 0; i < steps; i++) {
            NDArray[] before = {found, current};
            try (NDScope scope = new NDScope()) {
                TargetModel.Gradient g = model.gradient(current, difference);
                NDArray w = g.gradient();
                // Linearisation: diff(z) ≈ diff(current) + w·(z − current) = 0, i.e. w·z = level.
                NDArray level = dot(w, current).sub(g.loss()).reshape(perExample);
                NDArray d1 = project(current, w, level).sub(current);
                NDArray d2 = project(x, w, level).sub(x);
                NDArray a1 = norm.perExample(d1).maximum(1e-8f).reshape(perExample);
                NDArray a2 = norm.perExample(d2).maximum(1e-8f).reshape(perExample);
                NDArray alpha = a1.div(a1.add(a2)).maximum(0f).minimum(alphaMax);
                current = current.add(d1.mul(eta)).mul(alpha.neg().add(1f)).add(x.add(d2.mul(eta)).mul(alpha)).clip(0f, 1f);

                int[] predicted = Rows.argMax(model.logits(current));
                float[] size = norm.perExample(current.sub(x)).toFloatArray();
                boolean[] adversarial = new boolean[n];
                boolean[] better = new boolean[n];
                for (int j = 0; j < n; j++) {
                    adversarial[j] = predicted[j] != y[j];
                    better[j] = adversarial[j] && size[j] < smallest[j];
                    if (better[j]) {
                        smallest[j] = size[j];
                    }
                }
                found = Rows.choose(Rows.mask(x, better), current, found);
                NDArray backed = x.add(current.sub(x).mul(beta));
                current = Rows.choose(Rows.mask(x, adversarial), backed, current);
                Rows.carry(before, found, current);
            }
        }
        current.close();
        float[] eps = epsilon.toFloatArray();
        float[] score = new float[n];
        for (int j = 0; j < n; j++) {
            score[j] = Float.isInfinite(smallest[j]) ? Float.NEGATIVE_INFINITY : eps[j] - smallest[j];
        }
        return new Attempts.Result(found, t, score);
    }

    /** Per-example dot product of two batches, shape (batch). */
    private static NDArray dot(NDArray a, NDArray b) {
        return a.mul(b).reshape(a.getShape().get(0), -1).sum(new int[] {1});
    }

    /**
     * The point of the box [0, 1] nearest to {@code p} (in this attack's norm) on the hyperplane
     * w·z = level, per example; where the box does not reach the plane, the box point that comes
     * closest along the way. Moving toward the plane changes w·z by a gain that grows
     * monotonically with the radius r (L-infinity: z = clip(p + r·sign(v))) or the multiplier λ
     * (L2: z = clip(p + λ·v)), v = ±w pointing toward the plane; bisection finds where it reaches
     * the gap, and the upper end is returned so that the plane is reached.
     */
    private NDArray project(NDArray p, NDArray w, NDArray level) {
        long[] perExample = Norm.broadcastShape(p);
        NDArray gap = level.sub(dot(w, p).reshape(perExample));
        NDArray v = w.mul(gap.sign());
        NDArray need = gap.abs();
        NDArray direction = norm == Norm.LINF ? v.sign() : v;
        NDArray low = need.zerosLike();
        NDArray high;
        if (norm == Norm.LINF) {
            high = need.onesLike();
        } else {
            // The unconstrained solution, then widened until the clipped gain reaches the gap.
            high = need.div(dot(v, v).reshape(perExample).add(TINY));
            for (int k = 0; k < 20; k++) {
                NDArray[] before = {high};
                // Scoped: each evaluation makes batch-sized temporaries.
                try (NDScope scope = new NDScope()) {
                    NDArray shortOf = gain(p, v, direction, high).lt(need).toType(p.getDataType(), false);
                    high = high.mul(shortOf.mul(3f).add(1f));
                    Rows.carry(before, high);
                }
            }
        }
        for (int k = 0; k < BISECTIONS; k++) {
            NDArray[] before = {low, high};
            try (NDScope scope = new NDScope()) {
                NDArray mid = low.add(high).mul(0.5f);
                NDArray reached = gain(p, v, direction, mid).gte(need).toType(p.getDataType(), false);
                high = Rows.choose(reached, mid, high);
                low = Rows.choose(reached, low, mid);
                Rows.carry(before, low, high);
            }
        }
        return p.add(direction.mul(high)).clip(0f, 1f);
    }

    /** How far w·z has moved toward the plane at parameter {@code t}, shape (batch, 1, 1, 1). */
    private static NDArray gain(NDArray p, NDArray v, NDArray direction, NDArray t) {
        NDArray z = p.add(direction.mul(t)).clip(0f, 1f);
        return dot(v, z.sub(p)).reshape(Norm.broadcastShape(p));
    }
}
