package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import gibbon.model.TargetModel;
import java.nio.FloatBuffer;
import java.util.Arrays;

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
 * best point, sets its windows, and sends the rows through the model in one batch, whose margins
 * come back as numbers. Done in tensor calls, that bookkeeping took about 45 native calls a query.
 * A window that leaves the best point as it is (its pixels already at those signs, or clipped to
 * the same value) is not sent: the model would return the margin already held, which cannot
 * improve on itself. Late in the schedule, with windows of a few pixels, that is about one
 * candidate in four.
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
        for (int k = 0; k < best.length; k++) {
            // Pixel k lies in plane k / (h·w) (example i, channel ch) and column k mod w.
            float stripe = stripes[k / (h * w) * w + k % w];
            best[k] = clip(clean[k] + Math.signum(stripe) * eps[k / size]);
        }
        float[] margin = trueMargins(model, labels, best, y, shape);
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
            int[] tried = new int[active.length];
            int count = 0;
            for (int j = 0; j < active.length; j++) {
                int i = active[j];
                int at = count * size;
                System.arraycopy(best, i * size, candidate, at, size);
                boolean changed = false;
                for (int ch = 0; ch < c; ch++) {
                    // The window becomes exactly x ± epsilon in this channel, within [0, 1].
                    float sign = Math.signum(signs[j * c + ch]);
                    for (int row = top[j]; row < top[j] + side && sign != 0; row++) {
                        for (int col = left[j]; col < left[j] + side; col++) {
                            int k = (ch * h + row) * w + col;
                            float value = clip(clean[i * size + k] + sign * eps[i]);
                            changed |= value != candidate[at + k];
                            candidate[at + k] = value;
                        }
                    }
                }
                // A window the best point already has is its best point again: no query, its margin stands.
                if (changed) {
                    tried[count++] = i;
                }
            }
            if (count == 0) {
                continue;
            }
            float[] m = trueMargins(model, labels, candidate, Rows.pick(y, Arrays.copyOf(tried, count)), shape);
            for (int j = 0; j < count; j++) {
                int i = tried[j];
                if (m[j] < margin[i]) {
                    margin[i] = m[j];
                    System.arraycopy(candidate, j * size, best, i * size, size);
                }
            }
        }
        return Crafted.of(x.getManager().create(best, shape));
    }

    /** True logit minus the best other per row of {@code inputs} (one per label): positive while classified correctly. */
    private static float[] trueMargins(TargetModel model, NDArray like, float[] inputs, int[] labels, Shape shape) {
        try (NDScope scope = new NDScope()) {
            Shape rowsShape = new Shape(labels.length).addAll(shape.slice(1));
            // Only the first rows of inputs are queried.
            NDArray rows = like.getManager().create(FloatBuffer.wrap(inputs, 0, (int) rowsShape.size()), rowsShape);
            return Losses.margin(model.logits(rows), Rows.classes(like, labels)).neg().toFloatArray();
        }
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
