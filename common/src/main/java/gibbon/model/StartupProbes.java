package gibbon.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import gibbon.GibbonException;
import java.util.Arrays;
import java.util.Random;

/**
 * What {@link ModelLoader} asks of a freshly loaded network before any task uses it: that it maps
 * its input shape to finite logits, one per class, that each example's logits do not depend on the
 * rest of its batch, and whether it may run in channels-last layout.
 */
final class StartupProbes {
    private StartupProbes() {}

    /** Fails with a one-line model error unless an all-zero input gives finite logits, one per class. */
    static void checkOutputWidth(Classifier classifier) {
        ModelMetadata metadata = classifier.metadata();
        int[] s = metadata.inputShape();
        try (NDManager m = classifier.newBatchManager()) {
            NDArray logits;
            try {
                logits = classifier.logits(m.zeros(new Shape(1, s[0], s[1], s[2])));
            } catch (RuntimeException e) {
                throw new GibbonException(GibbonException.Kind.MODEL, classifier.location()
                        + ": the model rejects inputs of shape " + Arrays.toString(s) + " (" + TorchErrors.reason(e)
                        + ")", e);
            }
            Shape out = logits.getShape();
            if (out.dimension() != 2 || out.get(1) != metadata.numClasses()) {
                throw GibbonException.model(classifier.location() + ": the model outputs shape " + out
                        + " per batch of 1, expected (1, " + metadata.numClasses() + ") for " + metadata.numClasses()
                        + " classes");
            }
            if (!finite(logits)) {
                throw GibbonException.model(classifier.location()
                        + ": the model returns NaN or infinite logits on an all-zero input");
            }
        }
    }

    /**
     * Fails with a one-line model error when an example's logits change with the rest of its batch.
     * Attacks batch examples as they come and drop the broken ones between steps, so such a model's
     * answers would depend on its neighbours. The usual cause is BatchNorm using batch statistics: a
     * module traced with {@code torch.jit.trace} in training mode keeps them even in eval mode,
     * which {@link ModelLoader} sets (a scripted module follows eval mode).
     */
    static void checkBatchIndependence(Classifier classifier) {
        int[] s = classifier.metadata().inputShape();
        int n = 4;
        int size = s[0] * s[1] * s[2];
        float[] values = new float[n * size];
        Random random = new Random(1);
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat();
        }
        try (NDManager m = classifier.newBatchManager()) {
            NDArray batch = classifier.logits(m.create(values, new Shape(n, s[0], s[1], s[2])));
            NDArray alone = classifier.logits(m.create(Arrays.copyOf(values, size), new Shape(1, s[0], s[1], s[2])));
            // Non-finite logits are judged on real examples before a run, with a message that says so.
            if (!finite(batch) || !finite(alone)) {
                return;
            }
            if (!close(batch.get("0:1"), alone)) {
                throw GibbonException.model(classifier.location() + ": an example's logits change with the rest of its"
                        + " batch (BatchNorm with batch statistics? export with torch.jit.trace(model.eval(), example)"
                        + " or torch.jit.script)");
            }
        }
    }

    /**
     * Whether the network gives the same logits and input gradients when its input arrives in
     * channels-last layout. On CPU, libtorch runs convolutions (oneDNN) and max pooling vectorised
     * over channels in that layout, and it carries an input's layout through the layers: one
     * conversion of the input made an attack step 1.4–1.7 × faster on the bundled CNN and on a
     * TorchScript CNN. A model whose code needs contiguous activations (a {@code view} after a
     * convolution) fails here and keeps the plain layout.
     */
    static boolean channelsLastAgrees(Classifier classifier) {
        ModelMetadata metadata = classifier.metadata();
        int[] s = metadata.inputShape();
        int n = 2;
        float[] values = new float[n * s[0] * s[1] * s[2]];
        Random random = new Random(0);
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat();
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % metadata.numClasses();
        }
        try (NDManager m = classifier.newBatchManager()) {
            NDArray x = m.create(values, new Shape(n, s[0], s[1], s[2]));
            NDArray y = m.create(labels);
            TargetModel.LogitLoss loss = logits -> Classifier.perExampleCrossEntropy(logits, y);
            TargetModel.Gradient plain = classifier.gradient(x, loss, false);
            TargetModel.Gradient converted = classifier.gradient(x, loss, true);
            return close(plain.logits(), converted.logits()) && close(plain.gradient(), converted.gradient());
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Whether every value is a finite number (neither NaN nor infinite). */
    private static boolean finite(NDArray a) {
        return !a.isNaN().any().getBoolean() && !a.isInfinite().any().getBoolean();
    }

    /** Equal up to float rounding of a different summation order, relative to the larger values. */
    private static boolean close(NDArray a, NDArray b) {
        float scale = a.abs().max().getFloat();
        return a.getShape().equals(b.getShape()) && a.allClose(b, 1e-3, 1e-4 * scale, false);
    }
}
