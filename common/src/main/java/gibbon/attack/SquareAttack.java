package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import gibbon.model.TargetModel;

/**
 * Square Attack, L-infinity (Andriushchenko et al., <i>Square Attack: a query-efficient black-box
 * adversarial attack via random search</i>, ECCV 2020), as in the AutoAttack code: score-based and
 * black-box, it reads only the model's logits, never gradients. From vertical stripes of ±epsilon,
 * each query sets a random square window (side from the p_init schedule, shrinking as queries
 * pass) to ±epsilon per channel and keeps the change if the margin of the true class fell; an
 * example stops once misclassified.
 *
 * <p>The window is drawn per example (as in the paper's code, where AutoAttack draws one per
 * batch), so each example's queries depend on its own random stream only, not on its batch.
 */
final class SquareAttack implements Attack {
    private final int queries;
    private final double pInit;
    private final boolean carryOver;

    /** @param carryOver whether a sweep may reuse an example's adversarial at larger budgets once broken */
    SquareAttack(int queries, double pInit, boolean carryOver) {
        this.queries = queries;
        this.pInit = pInit;
        this.carryOver = carryOver;
    }

    @Override
    public Carry carry() {
        return Carry.of(carryOver, false);
    }

    @Override
    public Crafted craft(TargetModel model, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random) {
        int n = (int) x.getShape().get(0);
        int c = (int) x.getShape().get(1);
        int h = (int) x.getShape().get(2);
        int w = (int) x.getShape().get(3);
        NDArray stripes = random.uniform(x.getManager(), new ai.djl.ndarray.types.Shape(c, 1, w), -1f, 1f).sign();
        NDArray best = x.add(stripes.mul(epsilon)).clip(0f, 1f);
        float[] margin = trueMargin(model.logits(best), labels);
        NDArray rowIndex = x.getManager().arange(h).toType(x.getDataType(), false).reshape(1, 1, h, 1);
        NDArray columnIndex = x.getManager().arange(w).toType(x.getDataType(), false).reshape(1, 1, 1, w);
        for (int query = 1; query < queries; query++) {
            boolean[] open = new boolean[n];
            for (int i = 0; i < n; i++) {
                open[i] = margin[i] > 0;
            }
            int[] active = Rows.where(open);
            if (active.length == 0) {
                break;
            }
            NDArray[] before = {best};
            try (NDScope scope = new NDScope()) {
                NDArray xs = Rows.select(x, active);
                NDArray es = Rows.select(epsilon, active);
                NDArray bs = Rows.select(best, active);
                ExampleRandom rs = random.select(active);
                int side = side(query, c * h * w, c, h);
                NDArray top = column(xs, rs.integers(h - side));
                NDArray left = column(xs, rs.integers(w - side));
                NDArray window = within(rowIndex, top, side).mul(within(columnIndex, left, side));
                NDArray signs = rs.uniform(x.getManager(), new ai.djl.ndarray.types.Shape(c, 1, 1), -1f, 1f).sign();
                // Adding 2·eps·sign then projecting sets the window to exactly ±eps, as the reference does.
                NDArray candidate = bs.add(window.mul(signs).mul(es).mul(2f));
                candidate = xs.add(Norm.LINF.project(candidate.sub(xs), es)).clip(0f, 1f);
                float[] m = trueMargin(model.logits(candidate), Rows.select(labels, active));
                boolean[] improved = new boolean[active.length];
                for (int j = 0; j < active.length; j++) {
                    improved[j] = m[j] < margin[active[j]];
                    if (improved[j]) {
                        margin[active[j]] = m[j];
                    }
                }
                int[] rows = Rows.where(improved);
                best = Rows.scatter(best, Rows.pick(active, rows), Rows.select(candidate, rows));
                Rows.carry(before, best);
            }
        }
        return Crafted.of(best);
    }

    /** True logit minus the best other: positive while the example is classified correctly. */
    private static float[] trueMargin(NDArray logits, NDArray labels) {
        return Losses.margin(logits, labels).neg().toFloatArray();
    }

    /** The window side: sqrt(p · features / channels), rounded, in [1, rows − 1]. */
    private int side(int query, int features, int channels, int rows) {
        double p = fraction((int) ((double) query / queries * 10000));
        int s = (int) Math.round(Math.sqrt(p * features / channels));
        return Math.min(Math.max(s, 1), rows - 1);
    }

    /** The share of pixels a window covers after {@code it} of 10 000 rescaled queries. */
    private double fraction(int it) {
        int[] bounds = {10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000};
        double p = pInit;
        for (int bound : bounds) {
            if (it > bound) {
                p /= 2;
            }
        }
        return p;
    }

    private static NDArray column(NDArray like, int[] values) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = values[i];
        }
        return like.getManager().create(f).reshape(values.length, 1, 1, 1);
    }

    /** 1 where start ≤ index < start + side, per example. */
    private static NDArray within(NDArray index, NDArray start, int side) {
        return index.gte(start).logicalAnd(index.lt(start.add((float) side))).toType(start.getDataType(), false);
    }
}
