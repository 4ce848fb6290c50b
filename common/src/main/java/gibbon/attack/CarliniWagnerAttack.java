package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import gibbon.model.TargetModel;
import java.util.Arrays;

/**
 * Carlini and Wagner's L2 attack (<i>Towards evaluating the robustness of neural networks</i>,
 * IEEE S&amp;P 2017): a minimal-norm attack. It minimises ‖x' − x‖₂² + c · max(z_y − max_{i≠y} z_i
 * + κ, 0) over x' = (tanh(w) + 1) / 2, which keeps x' in [0, 1] without clipping, with Adam on w;
 * a binary search per example over the constant c (up ×10 while the attack fails, then bisection)
 * trades size against success. Each example keeps the smallest misclassified x' seen, or the
 * clean input where none was; the sweep then projects it onto the epsilon-ball.
 */
final class CarliniWagnerAttack implements Attack {
    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float ADAM_EPSILON = 1e-8f;
    private static final double NO_UPPER = 1e10;
    private final int searchSteps;
    private final int steps;
    private final float learningRate;
    private final double initialConst;
    private final float confidence;

    CarliniWagnerAttack(int searchSteps, int steps, double learningRate, double initialConst, double confidence) {
        this.searchSteps = searchSteps;
        this.steps = steps;
        this.learningRate = (float) learningRate;
        this.initialConst = initialConst;
        this.confidence = (float) confidence;
    }

    @Override
    public Crafted craft(TargetModel model, NDArray x, NDArray labels, NDArray epsilon, ExampleRandom random) {
        int n = (int) x.getShape().get(0);
        int[] y = Rows.ints(labels);
        long[] perExample = Norm.broadcastShape(x);
        // atanh(±1) is infinite: pull the pixels at 0 and 1 in by a hair, as the reference does.
        NDArray z = x.mul(2f).sub(1f).mul(0.999999f);
        // atanh(z) = ln((1 + z) / (1 − z)) / 2; libtorch's atanh is not exposed by DJL's engine.
        NDArray w0 = z.add(1f).div(z.neg().add(1f)).log().mul(0.5f);
        double[] c = new double[n];
        double[] lower = new double[n];
        double[] upper = new double[n];
        Arrays.fill(c, initialConst);
        Arrays.fill(upper, NO_UPPER);
        float[] bestSize = new float[n];
        Arrays.fill(bestSize, Float.POSITIVE_INFINITY);
        NDArray best = x.duplicate();
        TargetModel.LogitLoss hinge = logits -> Losses.margin(logits, labels).neg().add(confidence).maximum(0f);
        for (int search = 0; search < searchSteps; search++) {
            float[] constants = new float[n];
            for (int i = 0; i < n; i++) {
                constants[i] = (float) c[i];
            }
            NDArray constant = x.getManager().create(constants).reshape(perExample);
            boolean[] succeeded = new boolean[n];
            NDArray w = w0.duplicate();
            NDArray m = x.zerosLike();
            NDArray v = x.zerosLike();
            for (int t = 1; t <= steps; t++) {
                NDArray[] before = {w, m, v, best};
                try (NDScope scope = new NDScope()) {
                    NDArray tanh = w.tanh();
                    NDArray candidate = tanh.add(1f).mul(0.5f);
                    TargetModel.Gradient g = model.gradient(candidate, hinge);
                    NDArray delta = candidate.sub(x);
                    // Judge the point the gradient was taken at, before it moves.
                    float[] size = Norm.L2.perExample(delta).toFloatArray();
                    boolean[] fooled = fooled(g.logits(), y);
                    boolean[] smaller = new boolean[n];
                    for (int i = 0; i < n; i++) {
                        succeeded[i] |= fooled[i];
                        smaller[i] = fooled[i] && size[i] < bestSize[i];
                        if (smaller[i]) {
                            bestSize[i] = size[i];
                        }
                    }
                    best = Rows.choose(Rows.mask(x, smaller), candidate, best);
                    NDArray gradX = delta.mul(2f).add(g.gradient().mul(constant));
                    NDArray gradW = gradX.mul(tanh.square().neg().add(1f)).mul(0.5f);
                    m = m.mul(BETA1).add(gradW.mul(1 - BETA1));
                    v = v.mul(BETA2).add(gradW.square().mul(1 - BETA2));
                    NDArray mHat = m.div(1 - (float) Math.pow(BETA1, t));
                    NDArray vHat = v.div(1 - (float) Math.pow(BETA2, t));
                    w = w.sub(mHat.div(vHat.sqrt().add(ADAM_EPSILON)).mul(learningRate));
                    Rows.carry(before, w, m, v, best);
                }
            }
            for (NDArray a : new NDArray[] {w, m, v, constant}) {
                a.close();
            }
            for (int i = 0; i < n; i++) {
                if (succeeded[i]) {
                    upper[i] = Math.min(upper[i], c[i]);
                    c[i] = (lower[i] + upper[i]) / 2;
                } else {
                    lower[i] = Math.max(lower[i], c[i]);
                    c[i] = upper[i] < NO_UPPER ? (lower[i] + upper[i]) / 2 : c[i] * 10;
                }
            }
        }
        w0.close();
        return Crafted.of(best);
    }

    /** Misclassified with the confidence margin: the true logit plus κ is below another logit. */
    private boolean[] fooled(NDArray logits, int[] labels) {
        float[] margin = Losses.margin(logits, logits.getManager().create(labels)).toFloatArray();
        boolean[] out = new boolean[labels.length];
        for (int i = 0; i < labels.length; i++) {
            out[i] = margin[i] > confidence;
        }
        return out;
    }
}
