package gibbon.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import gibbon.GibbonException;
import gibbon.io.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A trained image classifier on one device, with the operations attacks need: logits, and input
 * gradients of the cross-entropy loss or of any differentiable loss of the logits. Inputs are always in [0, 1]; the
 * mapping to the model's own value range and the per-channel normalisation happen inside the
 * differentiable forward pass, so epsilon stays in [0, 1] pixel units. Thread-safe: concurrent
 * Spark tasks in one executor share one instance.
 *
 * <p>Input gradients do not use DJL's GradientCollector: it is guarded by a process-wide flag, so
 * two tasks collecting at once fail. libtorch's grad mode is per thread, so each call enables it
 * for the calling thread only and restores it afterwards. TorchScript modules are loaded with
 * trainable (non-inference) weights that require no gradient, put in eval mode once (BatchNorm
 * uses running statistics, dropout is off), and run through the IValue-level forward with
 * gradients on, which neither switches the module to training mode nor disables autograd. On CPU,
 * inputs enter the network in channels-last memory where the model allows it
 * ({@link #channelsLast()}).
 */
public final class Classifier implements TargetModel, AutoCloseable {
    private static final String TORCHSCRIPT_FILE = "model.pt";
    /** The line of a libtorch error that names its cause, e.g. "RuntimeError: mat1 and mat2 shapes ...". */
    private static final java.util.regex.Pattern TORCH_ERROR = java.util.regex.Pattern.compile("^\\s*\\w*Error: ");

    private final Model model;
    private final ModelMetadata metadata;
    private final String location;
    private final float rangeLow;
    private final float rangeWidth;
    private final float[] mean;
    private final float[] std;
    /** Whether inputs enter the network in channels-last layout; decided once at load ({@link #channelsLastAgrees}). */
    private boolean channelsLast;

    private Classifier(Model model, ModelMetadata metadata, String location, ModelSpec spec) {
        this.model = model;
        this.metadata = metadata;
        this.location = location;
        List<Double> range = spec == null ? List.of(0.0, 1.0) : spec.valueRange();
        this.rangeLow = range.get(0).floatValue();
        this.rangeWidth = (float) (range.get(1) - range.get(0));
        this.mean = spec == null || spec.mean().isEmpty() ? null : floats(spec.mean());
        this.std = spec == null || spec.std().isEmpty() ? null : floats(spec.std());
    }

    /**
     * Loads a DJL model directory ({@code model.json} plus parameters) from any Hadoop FS location,
     * verifying the parameters' SHA-256.
     *
     * @param localCache a local directory where model files are copied (DJL reads local files)
     */
    public static Classifier load(String location, Device device, Path localCache, Map<String, String> hadoop) {
        return load(ModelSpec.djl(location), device, localCache, hadoop);
    }

    /** Loads the model a spec names and checks that it maps its input shape to one logit per class. */
    public static Classifier load(ModelSpec spec, Device device, Path localCache, Map<String, String> hadoop) {
        Classifier classifier = spec.format().equals(ModelSpec.TORCHSCRIPT)
                ? loadTorchScript(spec, device, localCache, hadoop)
                : loadDjl(spec, device, localCache, hadoop);
        try {
            classifier.checkOutputWidth();
            classifier.channelsLast = !device.isGpu() && classifier.channelsLastAgrees();
        } catch (RuntimeException e) {
            classifier.close();
            throw e;
        }
        return classifier;
    }

    private static Classifier loadDjl(ModelSpec spec, Device device, Path localCache, Map<String, String> hadoop) {
        String dir = Storage.absolute(spec.uri());
        String metaLocation = Storage.child(dir, ModelMetadata.FILE_NAME);
        ModelMetadata metadata;
        try (InputStream in = Storage.open(metaLocation, hadoop)) {
            metadata = ModelMetadata.read(in, metaLocation);
        } catch (java.io.FileNotFoundException e) {
            throw GibbonException.model(metaLocation + ": not found (a model directory holds "
                    + ModelMetadata.FILE_NAME + " and its parameters)");
        } catch (IOException e) {
            throw GibbonException.model(metaLocation + ": cannot read model metadata (" + e.getMessage() + ")");
        }
        String paramsLocation = Storage.child(dir, metadata.parametersFile());
        Path local = fetch(paramsLocation, metadata.parametersFile(), localCache, hadoop);
        String actual = local.getParent().getFileName().toString();
        if (metadata.sha256() != null && !metadata.sha256().equalsIgnoreCase(actual)) {
            throw GibbonException.model(paramsLocation + ": SHA-256 " + actual + " does not match model.json ("
                    + metadata.sha256() + ")");
        }
        Model model = Model.newInstance(dir, device, TorchRuntime.ENGINE);
        try {
            model.setBlock(Architectures.build(metadata.architecture(), metadata.numClasses()));
            String prefix = metadata.parametersFile().replaceFirst("-\\d{4}\\.params$", "");
            model.load(local.getParent(), prefix);
            freeze(model.getBlock());
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            if (e instanceof GibbonException g) {
                throw g;
            }
            throw new GibbonException(GibbonException.Kind.MODEL, paramsLocation
                    + ": cannot load parameters into architecture '" + metadata.architecture() + "' (" + reason(e) + ")", e);
        }
        return new Classifier(model, metadata, dir, spec);
    }

    private static Classifier loadTorchScript(ModelSpec spec, Device device, Path localCache,
            Map<String, String> hadoop) {
        String file = Storage.absolute(spec.uri());
        Path local = fetch(file, TORCHSCRIPT_FILE, localCache, hadoop);
        ModelMetadata metadata = new ModelMetadata(ModelSpec.TORCHSCRIPT,
                spec.inputShape().stream().mapToInt(Integer::intValue).toArray(), floats(spec.valueRange()),
                spec.classNames(), Double.NaN, local.getFileName().toString(), local.getParent().getFileName().toString(),
                null);
        Model model = Model.newInstance(file, device, TorchRuntime.ENGINE);
        try {
            // trainParam: weights as ordinary tensors, not inference tensors, so input gradients flow.
            model.load(local.getParent(), "model", Map.of("trainParam", "true", "mapLocation", "true"));
            if (!(model.getBlock() instanceof PtSymbolBlock block)) {
                throw GibbonException.model(file + ": not a TorchScript module");
            }
            JniUtils.enableInferenceMode(block);
            freeze(block);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            if (e instanceof GibbonException g) {
                throw g;
            }
            throw new GibbonException(GibbonException.Kind.MODEL, file + ": cannot load as a TorchScript module ("
                    + reason(e) + "); write one with torch.jit.save, not torch.save", e);
        }
        return new Classifier(model, metadata, file, spec);
    }

    /**
     * Turns off gradients for the weights: attacks want input gradients only. A TorchScript module
     * loaded with trainable weights would otherwise compute and accumulate every weight's gradient
     * in each backward pass (about 13 % of an attack step on a small CNN), into tensors that
     * all tasks of an executor share.
     */
    private static void freeze(Block block) {
        weights(block).forEach(w -> w.setRequiresGradient(false));
    }

    /** The network's weights (tests check that attacks leave them without gradients). */
    List<NDArray> weights() {
        return weights(model.getBlock());
    }

    private static List<NDArray> weights(Block block) {
        return block.getParameters().values().stream().map(p -> p.getArray()).toList();
    }

    /**
     * Copies a model file into {@code localCache/<sha256>/<name>} unless an identical copy is
     * there, and returns the local path; the parent directory's name is the file's SHA-256.
     */
    private static Path fetch(String location, String name, Path localCache, Map<String, String> hadoop) {
        try {
            Files.createDirectories(localCache);
            Path download = Files.createTempFile(localCache, "download", ".part");
            try {
                Storage.copyToLocal(location, download, hadoop);
                Path target = localCache.resolve(sha256(download)).resolve(name);
                if (!Files.exists(target)) {
                    Files.createDirectories(target.getParent());
                    Files.move(download, target, StandardCopyOption.ATOMIC_MOVE);
                }
                return target;
            } finally {
                Files.deleteIfExists(download);
            }
        } catch (java.io.FileNotFoundException e) {
            throw GibbonException.model(location + ": not found");
        } catch (IOException e) {
            throw new GibbonException(GibbonException.Kind.MODEL, location + ": cannot read (" + reason(e) + ")", e);
        }
    }

    private void checkOutputWidth() {
        int[] s = metadata.inputShape();
        try (NDManager m = newBatchManager()) {
            NDArray logits;
            try {
                logits = logits(m.zeros(new Shape(1, s[0], s[1], s[2])));
            } catch (RuntimeException e) {
                throw new GibbonException(GibbonException.Kind.MODEL, location + ": the model rejects inputs of shape "
                        + java.util.Arrays.toString(s) + " (" + reason(e) + ")", e);
            }
            Shape out = logits.getShape();
            if (out.dimension() != 2 || out.get(1) != metadata.numClasses()) {
                throw GibbonException.model(location + ": the model outputs shape " + out + " per batch of 1, expected (1, "
                        + metadata.numClasses() + ") for " + metadata.numClasses() + " classes");
            }
            boolean finite = true;
            for (float v : logits.toFloatArray()) {
                finite &= Float.isFinite(v);
            }
            if (!finite) {
                throw GibbonException.model(location + ": the model returns NaN or infinite logits on an all-zero input");
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
    private boolean channelsLastAgrees() {
        int[] s = metadata.inputShape();
        int n = 2;
        float[] values = new float[n * s[0] * s[1] * s[2]];
        java.util.Random random = new java.util.Random(0);
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat();
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % metadata.numClasses();
        }
        try (NDManager m = newBatchManager()) {
            NDArray x = m.create(values, new Shape(n, s[0], s[1], s[2]));
            NDArray y = m.create(labels);
            Gradient plain = gradient(x, logits -> perExampleCrossEntropy(logits, y), false);
            Gradient converted = gradient(x, logits -> perExampleCrossEntropy(logits, y), true);
            return close(plain.logits(), converted.logits()) && close(plain.gradient(), converted.gradient());
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Equal up to float rounding of a different summation order, relative to the larger values. */
    private static boolean close(NDArray a, NDArray b) {
        float scale = a.abs().max().getFloat();
        return a.getShape().equals(b.getShape()) && a.allClose(b, 1e-3, 1e-4 * scale, false);
    }

    /** Softmax cross-entropy of each example's logits against its integer label, shape (batch). */
    private static NDArray perExampleCrossEntropy(NDArray logits, NDArray labels) {
        NDArray oneHot = labels.toType(DataType.INT64, false).oneHot((int) logits.getShape().get(1));
        return logits.logSoftmax(1).mul(oneHot).sum(new int[] {1}).neg();
    }

    /** Wraps a model still in memory (during training), which has no metadata yet. */
    static Classifier wrap(Model model) {
        return new Classifier(model, null, model.getName(), null);
    }

    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw GibbonException.model(file + ": cannot hash (" + e.getMessage() + ")");
        }
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

    private Gradient gradient(NDArray x, LogitLoss loss, boolean inChannelsLast) {
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

    private static float[] floats(List<Double> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).floatValue();
        }
        return out;
    }

    /**
     * The line of an engine error that says what went wrong. libtorch's messages open with "The
     * following operation failed in the TorchScript interpreter" and a traceback; the cause is the
     * last "...Error: " line. An exception without a message is named by its class.
     */
    static String reason(Throwable e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        String cause = null;
        for (String line : message.lines().toList()) {
            java.util.regex.Matcher m = TORCH_ERROR.matcher(line);
            if (m.find()) {
                cause = line.substring(m.end()).trim();
            }
        }
        if (cause == null) {
            cause = message.lines().map(String::trim).filter(l -> !l.isEmpty()).findFirst().orElse("");
        }
        if (cause.isEmpty()) {
            return e instanceof java.io.EOFException ? "the file ends early" : e.getClass().getSimpleName();
        }
        return cause;
    }


    @Override
    public void close() {
        model.close();
    }

    @Override
    public String toString() {
        return "Classifier[" + location + " on " + device() + (channelsLast ? ", channels-last" : "") + "]";
    }
}
