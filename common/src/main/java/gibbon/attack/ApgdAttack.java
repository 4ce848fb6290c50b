package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import gibbon.model.TargetModel;
import java.util.Arrays;

/**
 * Auto-PGD (Croce and Hein, <i>Reliable evaluation of adversarial robustness with an ensemble of
 * diverse parameter-free attacks</i>, ICML 2020), L-infinity or L2, as in the AutoAttack code:
 * from a random point on the ball, steps with momentum 0.75 and an initial step of 2·epsilon; at
 * checkpoints p_j (first after 22 % of the steps, then ever closer, at least 6 % apart) an
 * example's step size is halved and it restarts from its best point when fewer than ρ = 75 % of
 * the steps since the last checkpoint raised its loss, or when its step was not halved last time
 * and its best loss did not improve. An example leaves the run at its first fooling iterate and
 * keeps it, so the batch shrinks as examples break; the others return their point of highest loss.
 *
 * <p>APGD-CE maximises the cross-entropy and APGD-DLR the untargeted DLR loss, with restarts.
 * APGD-T maximises the targeted DLR loss toward each of the {@code targetClasses} classes the
 * clean input ranks highest after the top one, in turn, each run only on the examples the earlier
 * ones left unbroken.
 */
final class ApgdAttack implements Attack {
    private static final float TINY = 1e-12f;
    private final Norm norm;
    private final Loss loss;
    private final int steps;
    private final int attempts;
    private final double rho;
    private final boolean carryOver;

    /** The loss an APGD run maximises. */
    enum Loss {
        /** Cross-entropy (APGD-CE). */
        CE,
        /** Difference of Logits Ratio, untargeted (APGD-DLR). */
        DLR,
        /** Targeted DLR, one run per target class (APGD-T). */
        DLR_TARGETED
    }

    /**
     * @param attempts restarts for APGD-CE and APGD-DLR; the number of target classes for APGD-T
     * @param carryOver whether a sweep may reuse an example's adversarial at larger budgets once
     *     misclassified (APGD-T too: its targets are means to misclassify, not goals)
     */
    ApgdAttack(Norm norm, Loss loss, int steps, int attempts, double rho, boolean carryOver) {
        this.norm = norm;
        this.loss = loss;
        this.steps = steps;
        this.attempts = attempts;
        this.rho = rho;
        this.carryOver = carryOver;
    }

    @Override
    public Carry carry() {
        return Carry.of(carryOver, false);
    }

    @Override
    public Crafted craft(TargetModel model, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random) {
        if (loss != Loss.DLR_TARGETED) {
            return Attempts.best(model, attempts, false, x, labels, epsilon, random, (a, rows, xs, ys, es, rs) ->
                    new Attempts.Result(run(model, xs, ys, ys, es, rs), null));
        }
        int[][] ranked = Rows.ranked(model.logits(x));
        int classes = ranked[0].length;
        int count = Math.min(attempts, classes - 1);
        return Attempts.best(model, count, false, x, labels, epsilon, random, (a, rows, xs, ys, es, rs) -> {
            int[] t = new int[rows.length];
            for (int j = 0; j < rows.length; j++) {
                t[j] = ranked[rows[j]][a + 1];
            }
            NDArray ts = Rows.classes(ys, t);
            return new Attempts.Result(run(model, xs, ys, ts, es, rs), t);
        });
    }

    /**
     * One APGD run. An example leaves the batch at its first fooling iterate and keeps it (for
     * robust accuracy any fooling point in the ball is as good as another, and the ensemble keeps
     * the first one anyway); its later steps would change nothing of the others, whose step sizes,
     * checkpoints and losses are per example. The rest keep their highest-loss point.
     *
     * @param targets the target classes for the targeted DLR loss; for the other losses, the labels
     */
    private NDArray run(TargetModel model, NDArray x, NDArray labels, NDArray targets, NDArray epsilon,
            ExampleRandom random) {
        int n = (int) x.getShape().get(0);
        int checkpointGap = Math.max((int) (0.22 * steps), 1);
        int minGap = Math.max((int) (0.06 * steps), 1);
        int gapDecrease = Math.max((int) (0.03 * steps), 1);
        int[] y = Rows.ints(labels);

        NDArray start = norm == Norm.LINF
                ? random.uniform(x.getManager(), x.getShape().slice(1), -1f, 1f)
                : random.normal(x.getManager(), x.getShape().slice(1));
        NDArray adv = x.add(start.div(norm.perExample(start).add(TINY).reshape(Norm.broadcastShape(x))).mul(epsilon))
                .clip(0f, 1f);
        TargetModel.Gradient g = model.gradient(adv, objective(labels, targets));
        NDArray grad = g.gradient();
        // Per-example state in Java is indexed by the example's row in x; the arrays hold the rows still running.
        float[] lossBest = g.loss().toFloatArray();
        boolean[] wrongNow = wrong(g.logits(), y);
        NDArray result = adv;
        NDArray best = adv;
        NDArray gradBest = grad;
        NDArray stepSize = epsilon.mul(2f);
        NDArray previous = adv;
        int[] rows = new int[n];
        for (int j = 0; j < n; j++) {
            rows[j] = j;
        }
        NDArray xs = x;
        NDArray ys = labels;
        NDArray ts = targets;
        NDArray es = epsilon;

        float[][] lossSteps = new float[steps][n];
        float[] lossBestLastCheck = lossBest.clone();
        boolean[] reducedLastCheck = new boolean[n];
        Arrays.fill(reducedLastCheck, true);
        int sinceCheck = 0;
        for (int i = 0; i <= steps; i++) {
            NDArray[] before = {adv, previous, grad, best, gradBest, stepSize, xs, ys, ts, es, result};
            try (NDScope scope = new NDScope()) {
                if (i > 0) {
                    NDArray momentumTerm = adv.sub(previous);
                    previous = adv;
                    float a = i > 1 ? 0.75f : 1f;
                    NDArray moved = norm == Norm.LINF ? adv.add(grad.sign().mul(stepSize))
                            : adv.add(grad.div(Norm.L2.perExample(grad).add(TINY).reshape(Norm.broadcastShape(xs)))
                                    .mul(stepSize));
                    moved = ball(xs, moved, es);
                    adv = ball(xs, adv.add(moved.sub(adv).mul(a)).add(momentumTerm.mul(1 - a)), es);

                    g = model.gradient(adv, objective(ys, ts));
                    grad = g.gradient();
                    wrongNow = wrong(g.logits(), Rows.pick(y, rows));
                    float[] current = g.loss().toFloatArray();
                    boolean[] improved = new boolean[rows.length];
                    for (int j = 0; j < rows.length; j++) {
                        int r = rows[j];
                        lossSteps[i - 1][r] = current[j];
                        improved[j] = current[j] > lossBest[r];
                        lossBest[r] = Math.max(lossBest[r], current[j]);
                    }
                    NDArray improvedMask = Rows.mask(xs, improved);
                    best = Rows.choose(improvedMask, adv, best);
                    gradBest = Rows.choose(improvedMask, grad, gradBest);

                    if (++sinceCheck == checkpointGap) {
                        boolean[] reduce = new boolean[rows.length];
                        boolean any = false;
                        for (int j = 0; j < rows.length; j++) {
                            int r = rows[j];
                            int increases = 0;
                            for (int c = 0; c < checkpointGap; c++) {
                                increases += lossAt(lossSteps, i - 1 - c, r) > lossAt(lossSteps, i - 2 - c, r) ? 1 : 0;
                            }
                            boolean oscillating = increases <= checkpointGap * rho;
                            boolean stalled = !reducedLastCheck[r] && lossBestLastCheck[r] >= lossBest[r];
                            reduce[j] = oscillating || stalled;
                            reducedLastCheck[r] = reduce[j];
                            lossBestLastCheck[r] = lossBest[r];
                            any |= reduce[j];
                        }
                        if (any) {
                            NDArray reduceMask = Rows.mask(xs, reduce);
                            stepSize = stepSize.mul(reduceMask.mul(-0.5f).add(1f));
                            adv = Rows.choose(reduceMask, best, adv);
                            grad = Rows.choose(reduceMask, gradBest, grad);
                        }
                        checkpointGap = Math.max(checkpointGap - gapDecrease, minGap);
                        sinceCheck = 0;
                    }
                }
                int[] fooled = Rows.where(wrongNow);
                if (fooled.length > 0 || i == steps) {
                    // The fooled leave with the point that fooled them; after the last step the rest leave with their best.
                    int[] leaving = i == steps ? allRows(rows.length) : fooled;
                    NDArray points = i == steps ? Rows.choose(Rows.mask(xs, wrongNow), adv, best) : adv;
                    result = Rows.scatter(result, Rows.pick(rows, leaving), Rows.select(points, leaving));
                    boolean[] stay = new boolean[rows.length];
                    for (int j = 0; j < rows.length; j++) {
                        stay[j] = i < steps && !wrongNow[j];
                    }
                    int[] keep = Rows.where(stay);
                    rows = Rows.pick(rows, keep);
                    if (rows.length == 0) {
                        Rows.carry(before, x, labels, targets, epsilon, result);
                        break;
                    }
                    xs = Rows.select(xs, keep);
                    ys = Rows.select(ys, keep);
                    ts = Rows.select(ts, keep);
                    es = Rows.select(es, keep);
                    adv = Rows.select(adv, keep);
                    previous = Rows.select(previous, keep);
                    grad = Rows.select(grad, keep);
                    best = Rows.select(best, keep);
                    gradBest = Rows.select(gradBest, keep);
                    stepSize = Rows.select(stepSize, keep);
                }
                // Arrays the caller owns (x, labels, ...) are listed so that carry never frees them.
                Rows.carry(before, x, labels, targets, epsilon, adv, previous, grad, best, gradBest, stepSize, xs, ys, ts,
                        es, result);
            }
        }
        return result;
    }

    private TargetModel.LogitLoss objective(NDArray labels, NDArray targets) {
        return switch (loss) {
            case CE -> logits -> Losses.crossEntropy(logits, labels);
            case DLR -> logits -> Losses.dlr(logits, labels);
            case DLR_TARGETED -> logits -> Losses.dlrTargeted(logits, labels, targets);
        };
    }

    private static int[] allRows(int n) {
        int[] out = new int[n];
        for (int j = 0; j < n; j++) {
            out[j] = j;
        }
        return out;
    }

    /** The loss after step {@code i}; before the first step, 0 as in the reference's zeroed history. */
    private static float lossAt(float[][] lossSteps, int i, int j) {
        return i < 0 ? 0f : lossSteps[i][j];
    }

    /** Projection onto the ball around x, then clipping to [0, 1]. */
    private NDArray ball(NDArray x, NDArray point, NDArray epsilon) {
        return x.add(norm.project(point.sub(x), epsilon)).clip(0f, 1f);
    }

    private static boolean[] wrong(NDArray logits, int[] labels) {
        int[] predicted = Rows.argMax(logits);
        boolean[] out = new boolean[labels.length];
        for (int i = 0; i < labels.length; i++) {
            out[i] = predicted[i] != labels[i];
        }
        return out;
    }
}
