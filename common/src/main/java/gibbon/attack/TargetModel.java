package gibbon.attack;

import ai.djl.ndarray.NDArray;

/**
 * The model as attacks see it: logits, and the gradient of the cross-entropy loss with respect to
 * the input. Inputs are batches in [0, 1].
 */
public interface TargetModel {
    /** Logits, shape (batch, classes). */
    NDArray logits(NDArray x);

    /** Gradient of the summed cross-entropy loss against {@code labels}, shaped like {@code x}. */
    NDArray lossGradient(NDArray x, NDArray labels);
}
