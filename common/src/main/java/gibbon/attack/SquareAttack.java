package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
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
 *
 * <p>The search keeps its points and margins in plain arrays: a query copies each open example's
 * best point, sets its windows, and sends the rows through the model in one batch, whose logits
 * come back as numbers. Done in tensor calls, that bookkeeping took about 45 native calls a query.
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
        Shape shape = x.getShape();
        int n = (int) shape.get(0);
        int c = (int) shape.get(1);
        int h = (int) shape.get(2);
        int w = (int) shape.get(3);
        int size = c * h * w;
        float[] clean = x.toFloatArray();
        float[] eps = epsilon.toFloatArray();
        int[] y = Rows.ints(labels);
        float[] stripes = random.uniformValues(c * w, -1f, 1f);
        float[] best = new float[n * size];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int row = 0; row < h; row++) {
                    for (int col = 0; col < w; col++) {
                        int k = i * size + (ch * h + row) * w + col;
                        best[k] = clip(clean[k] + Math.signum(stripes[(i * c + ch) * w + col]) * eps[i]);
                    }
                }
            }
        }
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        float[] margin = trueMargins(model, x.getManager(), best, all, shape, y);
        for (int query = 1; query < queries; query++) {
            boolean[] open = new boolean[n];
            for (int i = 0; i < n; i++) {
                open[i] = margin[i] > 0;
            }
            int[] active = Rows.where(open);
            if (active.length == 0) {
                break;
            }
            ExampleRandom rs = random.select(active);
            int side = side(query, size, c, h);
            int[] top = rs.integers(h - side);
            int[] left = rs.integers(w - side);
            float[] signs = rs.uniformValues(c, -1f, 1f);
            float[] candidate = new float[active.length * size];
            for (int j = 0; j < active.length; j++) {
                int i = active[j];
                System.arraycopy(best, i * size, candidate, j * size, size);
                for (int ch = 0; ch < c; ch++) {
                    // The window becomes exactly x ± epsilon in this channel, within [0, 1].
                    float sign = Math.signum(signs[j * c + ch]);
                    for (int row = top[j]; row < top[j] + side && sign != 0; row++) {
                        for (int col = left[j]; col < left[j] + side; col++) {
                            int k = (ch * h + row) * w + col;
                            candidate[j * size + k] = clip(clean[i * size + k] + sign * eps[i]);
                        }
                    }
                }
            }
            float[] m = trueMargins(model, x.getManager(), candidate, active, shape, y);
            for (int j = 0; j < active.length; j++) {
                int i = active[j];
                if (m[j] < margin[i]) {
                    margin[i] = m[j];
                    System.arraycopy(candidate, j * size, best, i * size, size);
                }
            }
        }
        return Crafted.of(x.getManager().create(best, shape));
    }

    /**
     * True logit minus the best other, per row of {@code inputs} (one row per entry of
     * {@code rows}, an index into the batch): positive while the example is classified correctly.
     */
    private static float[] trueMargins(TargetModel model, NDManager manager, float[] inputs, int[] rows, Shape shape,
            int[] labels) {
        float[] logits;
        try (NDScope scope = new NDScope()) {
            logits = model.logits(manager.create(inputs, new Shape(rows.length).addAll(shape.slice(1)))).toFloatArray();
        }
        int classes = logits.length / rows.length;
        float[] out = new float[rows.length];
        for (int j = 0; j < rows.length; j++) {
            int label = labels[rows[j]];
            float other = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < classes; k++) {
                if (k != label) {
                    other = Math.max(other, logits[j * classes + k]);
                }
            }
            out[j] = logits[j * classes + label] - other;
        }
        return out;
    }

    private static float clip(float v) {
        return Math.min(1f, Math.max(0f, v));
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
}
