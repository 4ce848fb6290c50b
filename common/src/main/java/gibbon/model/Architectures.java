package gibbon.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import gibbon.GibbonException;
import java.util.List;

/** The DJL Block architectures Gibbon can rebuild from a model's metadata, by name. */
public final class Architectures {
    /** A small CNN: two 3x3 conv + ReLU + 2x2 max-pool stages, then a 128-unit hidden layer. */
    public static final String BASELINE_CNN = "baseline-cnn";

    private Architectures() {}

    public static List<String> names() {
        return List.of(BASELINE_CNN);
    }

    /**
     * Multiply-add operations (counted as 2 FLOPs) of one image's forward pass through the
     * convolutions and dense layers: the work an attack's gradient step does twice (forward, then
     * the input gradient back through the same layers).
     */
    public static long forwardFlops(String name, int[] inputShape, int numClasses) {
        if (!BASELINE_CNN.equals(name)) {
            throw GibbonException.model("no FLOP count for architecture '" + name + "'");
        }
        long rows = inputShape[1];
        long cols = inputShape[2];
        long conv1 = rows * cols * 32 * inputShape[0] * 9;
        long conv2 = (rows / 2) * (cols / 2) * 64 * 32 * 9;
        long dense1 = (rows / 4) * (cols / 4) * 64 * 128;
        long dense2 = 128L * numClasses;
        return 2 * (conv1 + conv2 + dense1 + dense2);
    }

    /** Builds the (uninitialised) Block for an architecture. */
    public static Block build(String name, int numClasses) {
        if (BASELINE_CNN.equals(name)) {
            return new SequentialBlock()
                    .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(32).build())
                    .add(Activation::relu)
                    .add(Pool.maxPool2dBlock(new Shape(2, 2)))
                    .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(64).build())
                    .add(Activation::relu)
                    .add(Pool.maxPool2dBlock(new Shape(2, 2)))
                    .add(Blocks.batchFlattenBlock())
                    .add(Linear.builder().setUnits(128).build())
                    .add(Activation::relu)
                    .add(Linear.builder().setUnits(numClasses).build());
        }
        throw GibbonException.model("unknown model architecture '" + name + "' (known: " + names() + ")");
    }
}
