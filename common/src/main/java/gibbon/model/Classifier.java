package gibbon.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.util.List;

/**
 * A trained image classifier on one device, with the operations attacks need: logits, and input
 * gradients of the cross-entropy loss or of any differentiable loss of the logits. Inputs are always in [0, 1]; the
 * mapping to the model's own value range and the per-channel normalisation happen inside the
 * differentiable forward pass, so epsilon stays in [0, 1] pixel units. Thread-safe: concurrent
 * Spark tasks in one executor share one instance, and its passes run one at a time, because
 * concurrent forward and backward passes through one shared network gave wrong values (NaN logits,
 * rows that differ between identical runs). {@link ModelLoader} makes one.
 *
 * <p>Input gradients do not use DJL's GradientCollector: it is guarded by a process-wide flag, so
 * two tasks collecting at once fail. libtorch's grad mode is per thread, so each call enables it
 * for the calling thread only and restores it afterwards. TorchScript modules run through the
 * IValue-level forward with gradients on, which neither switches the module to training mode nor
 * disables autograd. On CPU, inputs enter the network in channels-last memory where the model
 * allows it ({@link #channelsLast()}).
 */
public final class Classifier implements TargetModel, AutoCloseable {
    /**
     * Whether TorchScript's profiling graph executor optimises modules: only where DJL's property
     * {@code ai.djl.pytorch.graph_optimizer} is true. Its plans are specialised to the shapes it has
     * seen and attack batches shrink as examples break, so it kept re-planning (AutoAttack ran about
     * a quarter slower with it). libtorch keeps the setting per thread, so every pass sets it.
     */
    private static final boolean GRAPH_OPTIMIZER =
            Boolean.parseBoolean(System.getProperty("ai.djl.pytorch.graph_optimizer", "false"));
    private final Model model;
    private final ModelMetadata metadata;
    private final String location;
    private final ModelSpec spec;
    private final float rangeLow;
    private final float rangeWidth;
    private final float[] mean;
    private final float[] std;
    /** Whether inputs enter the network in channels-last layout; decided once at load ({@link StartupProbes}). */
    private final boolean channelsLast;

    /** @param spec how to feed the model; null feeds [0, 1] inputs unnormalised */
    Classifier(Model model, ModelMetadata metadata, String location, ModelSpec spec, boolean channelsLast) {
        this.model = model;
        this.metadata = metadata;
        this.location = location;
        this.spec = spec;
        List<Double> range = spec == null ? List.of(0.0, 1.0) : spec.valueRange();
        this.rangeLow = range.get(0).floatValue();
        this.rangeWidth = (float) (range.get(1) - range.get(0));
        this.mean = spec == null || spec.mean().isEmpty() ? null : ModelSpec.floats(spec.mean());
        this.std = spec == null || spec.std().isEmpty() ? null : ModelSpec.floats(spec.std());
        this.channelsLast = channelsLast;
    }

    /** Wraps a model still in memory (during training), which has no metadata yet. */
    static Classifier wrap(Model model) {
        return new Classifier(model, null, model.getName(), null, false);
    }

    /** The same network, fed its inputs in channels-last layout. */
    Classifier withChannelsLast() {
        return new Classifier(model, metadata, location, spec, true);
    }

    /** The network's weights (tests check that attacks leave them without gradients). */
    List<NDArray> weights() {
        return model.getBlock().getParameters().values().stream().map(Parameter::getArray).toList();
    }

    public ModelMetadata metadata() {
        return metadata;
    }

    /** Whether inputs enter the network in channels-last layout (decided at load, on CPU only). */
    public boolean channelsLast() {
        return channelsLast;
    }

    /** The model directory or file URI. */
    public String location() {
        return location;
    }

    public Device device() {
        return model.getNDManager().getDevice();
    }

    /** A fresh manager for one batch; close it when the batch is done. */
    public NDManager newBatchManager() {
        return model.getNDManager().newSubManager();
    }

    /** Logits for a batch of inputs in [0, 1], without building a graph. */
    @Override
    public NDArray logits(NDArray x) {
        synchronized (model) {
            return logitsAlone(x);
        }
    }

    private NDArray logitsAlone(NDArray x) {
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return forward(x, false, channelsLast);
        } finally {
            JniUtils.setGradMode(previous);
        }
    }

    /**
     * Gradient of the summed cross-entropy loss (logits against {@code labels}) with respect to
     * {@code x}. Summing keeps each example's gradient independent of the batch size.
     */
    @Override
    public NDArray lossGradient(NDArray x, NDArray labels) {
        return gradient(x, logits -> perExampleCrossEntropy(logits, labels)).gradient();
    }

    /**
     * Gradient of a per-example loss of the logits, summed over the batch, with the same pass's
     * logits and losses; grad mode is enabled for the calling thread only and restored afterwards,
     * so concurrent tasks do not interfere.
     */
    @Override
    public Gradient gradient(NDArray x, LogitLoss loss) {
        return gradient(x, loss, channelsLast);
    }

    /** @param inChannelsLast whether the input enters the network in channels-last layout */
    Gradient gradient(NDArray x, LogitLoss loss, boolean inChannelsLast) {
        synchronized (model) {
            return gradientAlone(x, loss, inChannelsLast);
        }
    }

    private Gradient gradientAlone(NDArray x, LogitLoss loss, boolean inChannelsLast) {
        boolean previous = JniUtils.isGradMode();
        try {
            JniUtils.setGradMode(false);
            NDArray leaf = x.duplicate();
            JniUtils.setGradMode(true);
            leaf.setRequiresGradient(true);
            NDArray logits = forward(leaf, true, inChannelsLast);
            NDArray perExample = loss.apply(logits);
            NDArray total = perExample.sum();
            JniUtils.backward((PtNDArray) total, (PtNDArray) total.onesLike(), false, false);
            JniUtils.setGradMode(false);
            // Copies made with grad mode off are plain tensors, outside the (now freed) graph.
            return new Gradient(logits.duplicate(), perExample.duplicate(), leaf.getGradient().duplicate());
        } finally {
            JniUtils.setGradMode(previous);
        }
    }

    /** Summed softmax cross-entropy of logits against integer labels. */
    public static NDArray crossEntropy(NDArray logits, NDArray labels) {
        return perExampleCrossEntropy(logits, labels).sum();
    }

    /** Softmax cross-entropy of each example's logits against its integer label, shape (batch). */
    static NDArray perExampleCrossEntropy(NDArray logits, NDArray labels) {
        NDArray oneHot = labels.toType(DataType.INT64, false).oneHot((int) logits.getShape().get(1));
        return logits.logSoftmax(1).mul(oneHot).sum(new int[] {1}).neg();
    }

    /** @param inChannelsLast whether the input enters the network in channels-last layout */
    private NDArray forward(NDArray x, boolean withGradient, boolean inChannelsLast) {
        NDArray input = x;
        if (rangeLow != 0f || rangeWidth != 1f) {
            input = input.mul(rangeWidth).add(rangeLow);
        }
        if (mean != null) {
            input = input.sub(channelVector(x.getManager(), mean));
        }
        if (std != null) {
            input = input.div(channelVector(x.getManager(), std));
        }
        if (inChannelsLast) {
            input = channelsLast(input);
        }
        Block block = model.getBlock();
        if (block instanceof PtSymbolBlock module) {
            JniUtils.setGraphExecutorOptimize(GRAPH_OPTIMIZER);
            return IValueUtils.forward(module, new NDList(input), withGradient).get(0);
        }
        return block.forward(new ParameterStore(x.getManager(), false), new NDList(input), false).singletonOrThrow();
    }

    /**
     * The same values in channels-last memory: (N, C, H, W) seen through (N, H, W, C) and flattened
     * copies them in that order, and the final transpose is a view, so the array keeps its shape
     * and libtorch reads its strides as channels-last.
     */
    private static NDArray channelsLast(NDArray x) {
        Shape s = x.getShape();
        return x.transpose(0, 2, 3, 1).reshape(s.get(0), -1).reshape(s.get(0), s.get(2), s.get(3), s.get(1))
                .transpose(0, 3, 1, 2);
    }

    private static NDArray channelVector(NDManager manager, float[] values) {
        return manager.create(values, new Shape(1, values.length, 1, 1));
    }

    /** Closes the network; a classifier made by {@link #withChannelsLast} shares it. */
    @Override
    public void close() {
        model.close();
    }

    @Override
    public String toString() {
        return "Classifier[" + location + " on " + device() + (channelsLast ? ", channels-last" : "") + "]";
    }
}
