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
 * <p>The box-constrained projection onto a hyperplane is computed exactly, in closed form from the
 * box faces by how far along the search direction they lie (the reference sorts them; a selection
 * finds the one face that matters in linear time).
 * Each step needs the new points judged and every point linearised where it ends up (an
 * adversarial one steps back first). While few points turn adversarial, one forward and backward
 * pass at the new points does both, and only the adversarial ones get a second pass where they
 * stepped back; once many do (FAB overshoots the boundary it aims at, so on a weak model most do),
 * a forward pass judges them all first and one forward and backward pass linearises them all, as
 * the reference does. Each step takes the cheaper way by the share of the step before.
 *
 * <p>Returns each example's smallest adversarial found, or the clean input where none was found;
 * the sweep then projects it onto the epsilon-ball.
 */
final class FabAttack implements Attack {
    /**
     * A forward pass costs about a third of a forward and backward pass: above this share of
     * adversarial points, judging first and linearising once beats linearising twice.
     */
    private static final double JUDGE_FIRST_ABOVE = 0.35;
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
        long[] perExample = Norm.broadcastShape(x);
        TargetModel.Gradient g = model.gradient(current, difference(labels, targets));
        NDArray w = g.gradient();
        NDArray value = g.loss();
        double adversarialShare = 0;
        for (int i = 0; i < steps; i++) {
            NDArray[] before = {found, current, w, value};
            try (NDScope scope = new NDScope()) {
                // Linearisation: diff(z) ≈ diff(current) + w·(z − current) = 0, i.e. w·z = level.
                NDArray level = dot(w, current).sub(value).reshape(perExample);
                NDArray d1 = project(current, w, level).sub(current);
                NDArray d2 = project(x, w, level).sub(x);
                NDArray a1 = norm.perExample(d1).maximum(1e-8f).reshape(perExample);
                NDArray a2 = norm.perExample(d2).maximum(1e-8f).reshape(perExample);
                NDArray alpha = a1.div(a1.add(a2)).maximum(0f).minimum(alphaMax);
                current = current.add(d1.mul(eta)).mul(alpha.neg().add(1f)).add(x.add(d2.mul(eta)).mul(alpha)).clip(0f, 1f);

                boolean last = i == steps - 1;
                boolean judgeFirst = last || adversarialShare > JUDGE_FIRST_ABOVE;
                NDArray logits;
                if (judgeFirst) {
                    logits = model.logits(current);
                } else {
                    g = model.gradient(current, difference(labels, targets));
                    logits = g.logits();
                    w = g.gradient();
                    value = g.loss();
                }
                int[] predicted = Rows.argMax(logits);
                float[] size = norm.perExample(current.sub(x)).toFloatArray();
                boolean[] adversarial = new boolean[n];
                boolean[] better = new boolean[n];
                int count = 0;
                for (int j = 0; j < n; j++) {
                    adversarial[j] = predicted[j] != y[j];
                    better[j] = adversarial[j] && size[j] < smallest[j];
                    count += adversarial[j] ? 1 : 0;
                    if (better[j]) {
                        smallest[j] = size[j];
                    }
                }
                adversarialShare = (double) count / n;
                if (count > 0) {
                    found = Rows.choose(Rows.mask(x, better), current, found);
                    NDArray backed = x.add(current.sub(x).mul(beta));
                    current = Rows.choose(Rows.mask(x, adversarial), backed, current);
                }
                if (!last && judgeFirst) {
                    g = model.gradient(current, difference(labels, targets));
                    w = g.gradient();
                    value = g.loss();
                } else if (!last && count > 0) {
                    // The points stepped back toward x are linearised where they now are.
                    int[] rows = Rows.where(adversarial);
                    TargetModel.Gradient h = model.gradient(Rows.select(current, rows),
                            difference(Rows.select(labels, rows), Rows.select(targets, rows)));
                    w = Rows.scatter(w, rows, h.gradient());
                    value = Rows.scatter(value, rows, h.loss());
                }
                Rows.carry(before, found, current, w, value);
            }
        }
        w.close();
        value.close();
        current.close();
        float[] eps = epsilon.toFloatArray();
        float[] score = new float[n];
        for (int j = 0; j < n; j++) {
            score[j] = Float.isInfinite(smallest[j]) ? Float.NEGATIVE_INFINITY : eps[j] - smallest[j];
        }
        return new Attempts.Result(found, t, score);
    }

    /** The true logit minus the target's: the function whose zero level FAB-T linearises. */
    private static TargetModel.LogitLoss difference(NDArray labels, NDArray targets) {
        return logits -> Losses.pick(logits, labels).sub(Losses.pick(logits, targets));
    }

    /** Per-example dot product of two batches, shape (batch). */
    private static NDArray dot(NDArray a, NDArray b) {
        return a.mul(b).reshape(a.getShape().get(0), -1).sum(new int[] {1});
    }

    /**
     * The point of the box [0, 1] nearest to {@code p} (in this attack's norm) on the hyperplane
     * w·z = level, per example; where the box does not reach the plane, the box point that comes
     * closest along the way. With v = ±w pointing toward the plane, the point is clip(p + r·sign(v))
     * (L-infinity) or clip(p + λ·v) (L2), and w·z moves toward the plane by the gain
     * G(t) = Σ a_i·min(t, c_i): each coordinate adds its weight a_i (|v_i|, or v_i²) until it reaches
     * its box face at t = c_i (the distance to that face, divided by |v_i| for L2). G is piecewise
     * linear and increasing, so the t where it reaches the gap is found as quickselect finds a
     * median: partition the faces around one, keep the side the crossing lies on, and carry the
     * other side's sums, in linear expected time where the reference sorts the faces. Computed in
     * Java per example on plain arrays, where elementwise tensor calls would cost a native call each.
     */
    NDArray project(NDArray p, NDArray w, NDArray level) {
        int n = (int) p.getShape().get(0);
        float[] ps = p.toFloatArray();
        float[] ws = w.toFloatArray();
        float[] levels = level.toFloatArray();
        int d = ps.length / n;
        float[] out = new float[ps.length];
        double[] weight = new double[d];
        double[] face = new double[d];
        for (int e = 0; e < n; e++) {
            int o = e * d;
            double gap = levels[e];
            for (int i = 0; i < d; i++) {
                gap -= (double) ws[o + i] * ps[o + i];
            }
            float toward = gap >= 0 ? 1f : -1f;
            int m = 0;
            for (int i = 0; i < d; i++) {
                float v = ws[o + i] * toward;
                double edge = v > 0 ? 1.0 - ps[o + i] : ps[o + i];
                // A coordinate already at its face adds nothing for any t (a blank pixel, often).
                if (v != 0f && edge > 0) {
                    double abs = Math.abs((double) v);
                    weight[m] = norm == Norm.LINF ? abs : abs * abs;
                    face[m++] = norm == Norm.LINF ? edge : edge / abs;
                }
            }
            double t = crossing(Math.abs(gap), weight, face, m);
            for (int i = 0; i < d; i++) {
                float v = ws[o + i] * toward;
                double step = v == 0f ? 0 : norm == Norm.LINF ? Math.signum(v) * t : v * t;
                out[o + i] = (float) Math.min(1.0, Math.max(0.0, ps[o + i] + step));
            }
        }
        return p.getManager().create(out, p.getShape());
    }

    /**
     * The t ≥ 0 where G(t) = Σ a_k·min(t, c_k) over the first {@code m} faces reaches {@code need};
     * infinity where G never does. Reorders the two arrays.
     */
    static double crossing(double need, double[] a, double[] c, int m) {
        if (need == 0) {
            return 0;
        }
        // G(t) = reached + t·above on the candidates' range: reached sums a·c over the faces known
        // to lie below the crossing, above sums a over those known to lie at or beyond it.
        double reached = 0;
        double above = 0;
        int lo = 0;
        int hi = m;
        while (lo < hi) {
            double pivot = medianOfThree(c[lo], c[(lo + hi) >>> 1], c[hi - 1]);
            int lt = lo;
            int i = lo;
            int gt = hi;
            double belowSum = 0;
            double equalWeight = 0;
            double overWeight = 0;
            while (i < gt) {
                double ci = c[i];
                if (ci < pivot) {
                    belowSum += a[i] * ci;
                    swap(a, c, lt++, i++);
                } else if (ci > pivot) {
                    overWeight += a[i];
                    swap(a, c, i, --gt);
                } else {
                    equalWeight += a[i];
                    i++;
                }
            }
            if (reached + belowSum + pivot * (equalWeight + overWeight + above) >= need) {
                above += equalWeight + overWeight;
                hi = lt;
            } else {
                reached += belowSum + pivot * equalWeight;
                lo = gt;
            }
        }
        return above == 0 ? Double.POSITIVE_INFINITY : (need - reached) / above;
    }

    private static double medianOfThree(double x, double y, double z) {
        return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    }

    private static void swap(double[] a, double[] c, int i, int j) {
        double t = a[i];
        a[i] = a[j];
        a[j] = t;
        t = c[i];
        c[i] = c[j];
        c[j] = t;
    }
}
