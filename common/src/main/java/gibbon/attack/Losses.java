package gibbon.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Per-example losses of the logits used by the attacks, each shape (batch) and differentiable.
 * Higher is better for the attacker in every loss here.
 */
final class Losses {
    private static final float TINY = 1e-12f;

    private Losses() {}

    /** One-hot rows of integer classes, shape (batch, classes). */
    static NDArray oneHot(NDArray classes, int width) {
        return classes.toType(DataType.INT64, false).oneHot(width);
    }

    /** The logit of each example's given class, shape (batch). */
    static NDArray pick(NDArray logits, NDArray classes) {
        return logits.mul(oneHot(classes, (int) logits.getShape().get(1))).sum(new int[] {1});
    }

    /** The largest logit other than the given class, shape (batch). */
    static NDArray maxOther(NDArray logits, NDArray classes) {
        NDArray mask = oneHot(classes, (int) logits.getShape().get(1));
        // Push the excluded class far below every other logit before taking the maximum.
        return logits.sub(mask.mul(1e9f)).max(new int[] {1});
    }

    /** Cross-entropy against the labels. */
    static NDArray crossEntropy(NDArray logits, NDArray labels) {
        return pick(logits.logSoftmax(1), labels).neg();
    }

    /** Margin: best other logit minus the true class's; positive exactly when misclassified. */
    static NDArray margin(NDArray logits, NDArray labels) {
        return maxOther(logits, labels).sub(pick(logits, labels));
    }

    /**
     * The Difference of Logits Ratio (Croce and Hein, 2020), untargeted: −(z_y − max_{i≠y} z_i) /
     * (z_π1 − z_π3), with z sorted decreasingly. Invariant to shifting and scaling the logits.
     */
    static NDArray dlr(NDArray logits, NDArray labels) {
        NDArray sorted = logits.sort(1);
        long c = logits.getShape().get(1);
        NDArray scale = sorted.get(":, " + (c - 1)).sub(sorted.get(":, " + (c - 3))).add(TINY);
        return margin(logits, labels).div(scale);
    }

    /**
     * Targeted DLR (Croce and Hein, 2020): −(z_y − z_t) / (z_π1 − (z_π3 + z_π4) / 2); needs at least
     * four classes.
     */
    static NDArray dlrTargeted(NDArray logits, NDArray labels, NDArray targets) {
        NDArray sorted = logits.sort(1);
        long c = logits.getShape().get(1);
        NDArray scale = sorted.get(":, " + (c - 1))
                .sub(sorted.get(":, " + (c - 3)).add(sorted.get(":, " + (c - 4))).mul(0.5f)).add(TINY);
        return pick(logits, targets).sub(pick(logits, labels)).div(scale);
    }
}
