package gibbon.model;

import ai.djl.ndarray.NDArray;

/**
 * The model as attacks see it: logits, and input gradients of losses of the logits. Inputs are
 * batches in [0, 1]. A black-box attack uses {@link #logits} only; a model that refuses gradients
 * may throw {@link UnsupportedOperationException} from the gradient methods.
 */
public interface TargetModel {
    /** Logits, shape (batch, classes). */
    NDArray logits(NDArray x);

    /** Gradient of the summed cross-entropy loss against {@code labels}, shaped like {@code x}. */
    NDArray lossGradient(NDArray x, NDArray labels);

    /**
     * Gradient of a differentiable per-example loss of the logits, summed over the batch (so each
     * example's gradient is its own), with the logits and losses of the same forward pass.
     */
    Gradient gradient(NDArray x, LogitLoss loss);

    /** A per-example loss of the logits, built from differentiable NDArray operations. */
    @FunctionalInterface
    interface LogitLoss {
        /**
         * @param logits shape (batch, classes), part of the autograd graph
         * @return one loss per example, shape (batch)
         */
        NDArray apply(NDArray logits);
    }

    /**
     * One forward and backward pass, detached from the graph.
     *
     * @param logits shape (batch, classes)
     * @param loss per-example losses, shape (batch)
     * @param gradient gradient of the summed loss with respect to the input, shaped like it
     */
    record Gradient(NDArray logits, NDArray loss, NDArray gradient) {}
}
