package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import gibbon.model.TargetModel;

/**
 * DeepFool (Moosavi-Dezfooli et al., <i>DeepFool: a simple and accurate method to fool deep neural
 * networks</i>, CVPR 2016), L2 or L-infinity: a minimal-norm attack. At each step it linearises
 * every other class's logit difference f_k − f_y, takes the class whose linearised boundary is
 * nearest (|f_k| / ‖w_k‖ in the dual norm: L2 for L2, L1 for L-infinity) and adds the step that
 * reaches it, r = (|f_k| + 1e-4) / ‖w_k‖₂² · w_k (L2) or (|f_k| + 1e-4) / ‖w_k‖₁ · sign(w_k)
 * (L-infinity), to the total r; the candidate is x + (1 + overshoot)·r clipped to [0, 1]. An
 * example stops as soon as it is misclassified. Each step costs one gradient per other class.
 */
final class DeepFoolAttack implements Attack {
    private static final float TINY = 1e-8f;
    private final Norm norm;
    private final int steps;
    private final float overshoot;

    DeepFoolAttack(Norm norm, int steps, double overshoot) {
        this.norm = norm;
        this.steps = steps;
        this.overshoot = (float) overshoot;
    }

    @Override
    public Crafted craft(TargetModel model, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random) {
        int n = (int) x.getShape().get(0);
        int[] y = Rows.ints(labels);
        NDArray total = x.zerosLike();
        NDArray adv = x.duplicate();
        NDArray clean = model.logits(x);
        int[] predicted = Rows.argMax(clean);
        int classes = (int) clean.getShape().get(1);
        for (int step = 0; step < steps; step++) {
            boolean[] open = new boolean[n];
            for (int i = 0; i < n; i++) {
                open[i] = predicted[i] == y[i];
            }
            int[] active = Rows.where(open);
            if (active.length == 0) {
                break;
            }
            NDArray[] before = {total, adv};
            try (NDScope scope = new NDScope()) {
                NDArray xs = Rows.select(adv, active);
                NDArray ys = Rows.select(labels, active);
                int[] yActive = Rows.pick(y, active);
                // The j-th other class of each example: j below its label, j + 1 from it on.
                NDArray[] f = new NDArray[classes - 1];
                NDArray[] w = new NDArray[classes - 1];
                float[][] distance = new float[classes - 1][];
                for (int j = 0; j < classes - 1; j++) {
                    int[] other = new int[active.length];
                    for (int a = 0; a < other.length; a++) {
                        other[a] = j < yActive[a] ? j : j + 1;
                    }
                    NDArray os = Rows.classes(ys, other);
                    TargetModel.Gradient g = model.gradient(xs,
                            logits -> Losses.pick(logits, os).sub(Losses.pick(logits, ys)));
                    f[j] = g.loss().abs();
                    w[j] = g.gradient();
                    NDArray dual = norm == Norm.LINF ? w[j].abs().reshape(active.length, -1).sum(new int[] {1})
                            : Norm.L2.perExample(w[j]);
                    distance[j] = f[j].div(dual.add(TINY)).toFloatArray();
                }
                NDArray move = xs.zerosLike();
                long[] perExample = Norm.broadcastShape(xs);
                for (int j = 0; j < classes - 1; j++) {
                    boolean[] nearest = new boolean[active.length];
                    boolean any = false;
                    for (int a = 0; a < active.length; a++) {
                        nearest[a] = isNearest(distance, j, a);
                        any |= nearest[a];
                    }
                    if (!any) {
                        continue;
                    }
                    NDArray size = f[j].add(1e-4f).reshape(perExample);
                    NDArray r = norm == Norm.LINF
                            ? w[j].sign().mul(size.div(w[j].abs().reshape(active.length, -1).sum(new int[] {1})
                                    .add(TINY).reshape(perExample)))
                            : w[j].mul(size.div(w[j].square().reshape(active.length, -1).sum(new int[] {1})
                                    .add(TINY).reshape(perExample)));
                    move = move.add(r.mul(Rows.mask(xs, nearest)));
                }
                NDArray totalActive = Rows.select(total, active).add(move);
                NDArray advActive = Rows.select(x, active)
                        .add(totalActive.mul(1f + overshoot)).clip(0f, 1f);
                total = Rows.scatter(total, active, totalActive);
                adv = Rows.scatter(adv, active, advActive);
                int[] now = Rows.argMax(model.logits(advActive));
                for (int a = 0; a < active.length; a++) {
                    predicted[active[a]] = now[a];
                }
                Rows.carry(before, total, adv);
            }
        }
        total.close();
        return Crafted.of(adv);
    }

    /** Whether class slot j is the first nearest boundary of active example a. */
    private static boolean isNearest(float[][] distance, int j, int a) {
        for (int k = 0; k < distance.length; k++) {
            if (distance[k][a] < distance[j][a] || (distance[k][a] == distance[j][a] && k < j)) {
                return false;
            }
        }
        return true;
    }
}
