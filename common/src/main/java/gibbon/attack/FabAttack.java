package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
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
 * box faces by how far along the search direction they lie (the reference sorts them; Newton's
 * method from below finds the one face that matters in a few linear passes).
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
    /** Newton passes over the faces before the crossing is selected instead. */
    private static final int NEWTON_ROUNDS = 8;
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
            return run(model, xs, ys, t, es);
        });
    }

    /**
     * One targeted run. Its score is epsilon minus the size of the adversarial found (above 0 when
     * broken within epsilon, larger for smaller ones), negative infinity where none was found. The
     * points live in Java arrays between model calls: a step is two projections and a handful of
     * elementwise updates per example, which as tensor calls would each cost a native call and a
     * fresh batch-sized buffer.
     */
    private Attempts.Result run(TargetModel model, NDArray x, NDArray labels, int[] t, NDArray epsilon) {
        int n = (int) x.getShape().get(0);
        int[] y = Rows.ints(labels);
        float[] clean = x.toFloatArray();
        int d = clean.length / n;
        float[] current = clean.clone();
        float[] found = clean.clone();
        float[] smallest = new float[n];
        Arrays.fill(smallest, Float.POSITIVE_INFINITY);
        Linearisation at = linearise(model, x, current, y, t);
        Scratch scratch = new Scratch(d);
        double adversarialShare = 0;
        for (int i = 0; i < steps; i++) {
            for (int e = 0; e < n; e++) {
                move(current, clean, at, e * d, d, at.value[e], scratch);
            }
            boolean last = i == steps - 1;
            boolean judgeFirst = last || adversarialShare > JUDGE_FIRST_ABOVE;
            int[] predicted;
            if (judgeFirst) {
                predicted = judge(model, x, current);
            } else {
                at = linearise(model, x, current, y, t);
                predicted = at.predicted;
            }
            boolean[] adversarial = new boolean[n];
            int count = 0;
            for (int e = 0; e < n; e++) {
                if (predicted[e] == y[e]) {
                    continue;
                }
                adversarial[e] = true;
                count++;
                int o = e * d;
                float size = norm.of(current, clean, o, d);
                if (size < smallest[e]) {
                    smallest[e] = size;
                    System.arraycopy(current, o, found, o, d);
                }
                for (int k = o; k < o + d; k++) {
                    current[k] = clean[k] + (current[k] - clean[k]) * beta;
                }
            }
            adversarialShare = (double) count / n;
            if (!last && judgeFirst) {
                at = linearise(model, x, current, y, t);
            } else if (!last && count > 0) {
                // The points stepped back toward x are linearised where they now are.
                int[] rows = Rows.where(adversarial);
                float[] back = new float[rows.length * d];
                for (int j = 0; j < rows.length; j++) {
                    System.arraycopy(current, rows[j] * d, back, j * d, d);
                }
                Linearisation h = linearise(model, x, back, Rows.pick(y, rows), Rows.pick(t, rows));
                for (int j = 0; j < rows.length; j++) {
                    System.arraycopy(h.w, j * d, at.w, rows[j] * d, d);
                    at.value[rows[j]] = h.value[j];
                }
            }
        }
        float[] eps = epsilon.toFloatArray();
        float[] score = new float[n];
        for (int j = 0; j < n; j++) {
            score[j] = Float.isInfinite(smallest[j]) ? Float.NEGATIVE_INFINITY : eps[j] - smallest[j];
        }
        return new Attempts.Result(x.getManager().create(found, x.getShape()), t, score);
    }

    /**
     * One example's step (the {@code d} values from {@code o}): linearised as diff(z) ≈ value +
     * w·(z − current), both the current point and the clean input are projected onto the plane
     * where that is 0, and the point moves to the overshot blend of the two projections.
     */
    private void move(float[] current, float[] clean, Linearisation at, int o, int d, float value, Scratch s) {
        double cleanGap = -value;
        for (int k = 0; k < d; k++) {
            cleanGap += (double) at.w[o + k] * (current[o + k] - clean[o + k]);
        }
        towardPlane(current, at.w, o, d, -value, s.weight, s.face, s.fromCurrent);
        towardPlane(clean, at.w, o, d, cleanGap, s.weight, s.face, s.fromClean);
        float a1 = Math.max(norm.of(s.fromCurrent, 0, d), 1e-8f);
        float a2 = Math.max(norm.of(s.fromClean, 0, d), 1e-8f);
        float alpha = Math.min(Math.max(a1 / (a1 + a2), 0f), alphaMax);
        for (int k = 0; k < d; k++) {
            float moved = (current[o + k] + s.fromCurrent[k] * eta) * (1f - alpha) + (clean[o + k] + s.fromClean[k] * eta) * alpha;
            current[o + k] = Math.min(1f, Math.max(0f, moved));
        }
    }

    /** Work space of one run, one example long: the two moves to the plane and the faces. */
    private static final class Scratch {
        final float[] fromCurrent;
        final float[] fromClean;
        final double[] weight;
        final double[] face;

        Scratch(int d) {
            fromCurrent = new float[d];
            fromClean = new float[d];
            weight = new double[d];
            face = new double[d];
        }
    }

    /** The gradient of the true minus the target logit, its value and the predicted class, per row. */
    private record Linearisation(float[] w, float[] value, int[] predicted) {}

    /** Linearises the rows of {@code points}, shaped as rows of {@code like}, for labels {@code y} and targets {@code t}. */
    private static Linearisation linearise(TargetModel model, NDArray like, float[] points, int[] y, int[] t) {
        try (NDScope scope = new NDScope()) {
            TargetModel.Gradient g = model.gradient(rows(like, points, y.length),
                    difference(Rows.classes(like, y), Rows.classes(like, t)));
            return new Linearisation(g.gradient().toFloatArray(), g.loss().toFloatArray(), Rows.argMax(g.logits()));
        }
    }

    /** The predicted class of each row of {@code points}. */
    private static int[] judge(TargetModel model, NDArray like, float[] points) {
        try (NDScope scope = new NDScope()) {
            return Rows.argMax(model.logits(rows(like, points, (int) like.getShape().get(0))));
        }
    }

    private static NDArray rows(NDArray like, float[] points, int count) {
        return like.getManager().create(points, new Shape(count).addAll(like.getShape().slice(1)));
    }

    /** The true logit minus the target's: the function whose zero level FAB-T linearises. */
    private static TargetModel.LogitLoss difference(NDArray labels, NDArray targets) {
        return logits -> Losses.pick(logits, labels).sub(Losses.pick(logits, targets));
    }

    /**
     * Writes to {@code delta} the move from p (the {@code d} values of {@code points} from
     * {@code o}) to the point of the box [0, 1] nearest to it (in this attack's norm) on the
     * hyperplane w·z = w·p + gap; where the box does not reach the plane, to the box point that
     * comes closest along the way. With v = ±w pointing toward the plane, the point is
     * clip(p + r·sign(v)) (L-infinity) or clip(p + λ·v) (L2), and w·z moves toward the plane by the
     * gain G(t) = Σ a_i·min(t, c_i): each coordinate adds its weight a_i (|v_i|, or v_i²) until it
     * reaches its box face at t = c_i (the distance to that face, divided by |v_i| for L2). G is
     * piecewise linear, increasing and concave, so the t where it reaches the gap is found without
     * sorting the faces ({@link #crossing}). {@code weight} and {@code face} are scratch space of at
     * least d entries.
     */
    void towardPlane(float[] points, float[] w, int o, int d, double gap, double[] weight, double[] face, float[] delta) {
        float toward = gap >= 0 ? 1f : -1f;
        int m = 0;
        // Without branches on the signs, which are as good as random: edge is 1 − p where v > 0, p where v < 0.
        for (int i = 0; i < d; i++) {
            float v = w[o + i] * toward;
            float p = points[o + i];
            float half = Math.copySign(0.5f, v);
            float edge = (0.5f - half) * p + (0.5f + half) * (1f - p);
            double abs = Math.abs((double) v);
            weight[m] = norm == Norm.LINF ? abs : abs * abs;
            face[m] = norm == Norm.LINF ? edge : edge / abs;
            // A coordinate already at its face adds nothing for any t (a blank pixel, often): not kept.
            m += v != 0f & edge > 0f ? 1 : 0;
        }
        double t = crossing(Math.abs(gap), weight, face, m);
        for (int i = 0; i < d; i++) {
            float v = w[o + i] * toward;
            double step = v == 0f ? 0 : norm == Norm.LINF ? Math.signum(v) * t : v * t;
            float p = points[o + i];
            delta[i] = (float) Math.min(1.0, Math.max(0.0, p + step)) - p;
        }
    }

    /**
     * The t ≥ 0 where G(t) = Σ a_k·min(t, c_k) over the first {@code m} faces reaches {@code need};
     * infinity where G never does. Reorders the two arrays. First Newton's method from the left
     * (Michelot's for the simplex): t = (need − Σ_below a·c) / Σ_rest a never passes the crossing, so
     * every face below it lies below the crossing too and leaves; where none does, t is the crossing.
     * On a FAB step few faces lie below (the plane is near), so this ends in two or three passes
     * with well-predicted branches; the selection takes over after {@link #NEWTON_ROUNDS}.
     */
    static double crossing(double need, double[] a, double[] c, int m) {
        if (need == 0) {
            return 0;
        }
        double reached = 0;
        double above = 0;
        for (int i = 0; i < m; i++) {
            above += a[i];
        }
        double t = 0;
        for (int round = 0; round < NEWTON_ROUNDS; round++) {
            if (above == 0) {
                return Double.POSITIVE_INFINITY;
            }
            t = Math.max(t, (need - reached) / above);
            int kept = 0;
            above = 0;
            for (int i = 0; i < m; i++) {
                double ci = c[i];
                double ai = a[i];
                if (ci < t) {
                    reached += ai * ci;
                } else {
                    a[kept] = ai;
                    c[kept++] = ci;
                    above += ai;
                }
            }
            if (kept == m) {
                return t;
            }
            m = kept;
        }
        // The faces left all lie at or beyond t, which never passes the crossing.
        return reached >= need ? t : Math.max(t, select(need - reached, a, c, m));
    }

    /** {@link #crossing} by quickselect's partition, in linear expected time however many faces lie below. */
    private static double select(double need, double[] a, double[] c, int m) {
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
