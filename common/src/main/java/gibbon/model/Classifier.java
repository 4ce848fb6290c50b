package gibbon.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import gibbon.GibbonException;
import gibbon.attack.TargetModel;
import gibbon.io.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * A trained image classifier on one device, with the two operations attacks need: logits, and the
 * gradient of the cross-entropy loss with respect to the input. Thread-safe: concurrent Spark tasks
 * in one executor share one instance.
 *
 * <p>Input gradients do not use DJL's GradientCollector: it is guarded by a process-wide flag, so
 * two tasks collecting at once fail. libtorch's grad mode is per thread, so each call enables it
 * for the calling thread only and restores it afterwards.
 */
public final class Classifier implements TargetModel, AutoCloseable {
    private final Model model;
    private final ModelMetadata metadata;
    private final String location;

    private Classifier(Model model, ModelMetadata metadata, String location) {
        this.model = model;
        this.metadata = metadata;
        this.location = location;
    }

    /**
     * Loads a model directory ({@code model.json} plus parameters) from any Hadoop FS location,
     * verifying the parameters' SHA-256.
     *
     * @param localCache a local directory where the parameters are copied (DJL reads local files)
     */
    public static Classifier load(String location, Device device, Path localCache, Map<String, String> hadoop) {
        String dir = Storage.absolute(location);
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
        Path local = localCache.resolve(metadata.sha256() == null ? "unverified" : metadata.sha256())
                .resolve(metadata.parametersFile());
        try {
            if (!Files.exists(local)) {
                Storage.copyToLocal(paramsLocation, local, hadoop);
            }
        } catch (IOException e) {
            throw GibbonException.model(paramsLocation + ": cannot read model parameters (" + e.getMessage() + ")");
        }
        String actual = sha256(local);
        if (metadata.sha256() != null && !metadata.sha256().equalsIgnoreCase(actual)) {
            throw GibbonException.model(paramsLocation + ": SHA-256 " + actual + " does not match model.json ("
                    + metadata.sha256() + ")");
        }
        Model model = Model.newInstance(dir, device, TorchRuntime.ENGINE);
        try {
            model.setBlock(Architectures.build(metadata.architecture(), metadata.numClasses()));
            String file = metadata.parametersFile();
            String prefix = file.replaceFirst("-\\d{4}\\.params$", "");
            model.load(local.getParent(), prefix);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            if (e instanceof GibbonException g) {
                throw g;
            }
            throw GibbonException.model(paramsLocation + ": cannot load parameters into architecture '"
                    + metadata.architecture() + "' (" + e.getMessage() + ")");
        }
        return new Classifier(model, metadata, dir);
    }

    /** Wraps a model still in memory (during training), which has no metadata yet. */
    static Classifier wrap(Model model) {
        return new Classifier(model, null, model.getName());
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

    /** The model directory URI. */
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

    /** Logits for a batch of inputs in the model's value range, without building a graph. */
    @Override
    public NDArray logits(NDArray x) {
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return forward(x);
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
        boolean previous = JniUtils.isGradMode();
        try {
            JniUtils.setGradMode(false);
            NDArray leaf = x.duplicate();
            JniUtils.setGradMode(true);
            leaf.setRequiresGradient(true);
            NDArray loss = crossEntropy(forward(leaf), labels);
            JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), false, false);
            JniUtils.setGradMode(false);
            return leaf.getGradient().duplicate();
        } finally {
            JniUtils.setGradMode(previous);
        }
    }

    /** Summed softmax cross-entropy of logits against integer labels. */
    public static NDArray crossEntropy(NDArray logits, NDArray labels) {
        NDArray oneHot = labels.toType(DataType.INT64, false).oneHot((int) logits.getShape().get(1));
        return logits.logSoftmax(1).mul(oneHot).sum().neg();
    }

    private NDArray forward(NDArray x) {
        ParameterStore store = new ParameterStore(x.getManager(), false);
        return model.getBlock().forward(store, new NDList(x), false).singletonOrThrow();
    }

    @Override
    public void close() {
        model.close();
    }

    @Override
    public String toString() {
        return "Classifier[" + location + " on " + device() + "]";
    }
}
