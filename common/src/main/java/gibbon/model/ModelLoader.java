package gibbon.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import gibbon.GibbonException;
import gibbon.io.Storage;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * Turns the model a {@link ModelSpec} names into a {@link Classifier}: fetches its files through a
 * {@link ModelStore}, loads them as a DJL model (a directory of {@code model.json} plus parameters,
 * whose SHA-256 is verified) or a TorchScript module in eval mode, and runs the {@link StartupProbes}. Weights
 * never require gradients: attacks want input gradients only.
 */
public final class ModelLoader {
    private static final String TORCHSCRIPT_FILE = "model.pt";

    private final ModelStore store;

    public ModelLoader(ModelStore store) {
        this.store = store;
    }

    /** Loads the model a spec names and checks that it maps its input shape to one logit per class. */
    public Classifier load(ModelSpec spec, Device device) {
        Classifier classifier = spec.format().equals(ModelSpec.TORCHSCRIPT)
                ? loadTorchScript(spec, device)
                : loadDjl(spec, device);
        try {
            StartupProbes.checkOutputWidth(classifier);
            StartupProbes.checkBatchIndependence(classifier);
            return !device.isGpu() && StartupProbes.channelsLastAgrees(classifier)
                    ? classifier.withChannelsLast()
                    : classifier;
        } catch (RuntimeException e) {
            classifier.close();
            throw e;
        }
    }

    private Classifier loadDjl(ModelSpec spec, Device device) {
        String dir = Storage.absolute(spec.uri());
        String metaLocation = Storage.child(dir, ModelMetadata.FILE_NAME);
        ModelMetadata metadata;
        try (InputStream in = store.open(metaLocation)) {
            metadata = ModelMetadata.read(in, metaLocation);
        } catch (FileNotFoundException e) {
            throw GibbonException.model(metaLocation + ": not found (a model directory holds "
                    + ModelMetadata.FILE_NAME + " and its parameters)");
        } catch (IOException e) {
            throw GibbonException.model(metaLocation + ": cannot read model metadata (" + e.getMessage() + ")");
        }
        String paramsLocation = Storage.child(dir, metadata.parametersFile());
        ModelStore.LocalCopy local = store.fetch(paramsLocation, metadata.parametersFile());
        if (metadata.sha256() != null && !metadata.sha256().equalsIgnoreCase(local.sha256())) {
            throw GibbonException.model(paramsLocation + ": SHA-256 " + local.sha256() + " does not match model.json ("
                    + metadata.sha256() + ")");
        }
        Model model = Model.newInstance(dir, device, TorchRuntime.ENGINE);
        try {
            model.setBlock(Architectures.build(metadata.architecture(), metadata.numClasses()));
            String prefix = metadata.parametersFile().replaceFirst("-\\d{4}\\.params$", "");
            model.load(local.directory(), prefix);
            freeze(model.getBlock());
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            if (e instanceof GibbonException g) {
                throw g;
            }
            throw new GibbonException(GibbonException.Kind.MODEL, paramsLocation + ": cannot load parameters into"
                    + " architecture '" + metadata.architecture() + "' (" + TorchErrors.reason(e) + ")", e);
        }
        return new Classifier(model, metadata, dir, spec, false);
    }

    /**
     * Loads a TorchScript module with trainable (non-inference) weights that require no gradient,
     * in eval mode (BatchNorm uses running statistics, dropout is off), so that input gradients flow.
     */
    private Classifier loadTorchScript(ModelSpec spec, Device device) {
        String file = Storage.absolute(spec.uri());
        ModelStore.LocalCopy local = store.fetch(file, TORCHSCRIPT_FILE);
        ModelMetadata metadata = new ModelMetadata(ModelSpec.TORCHSCRIPT,
                spec.inputShape().stream().mapToInt(Integer::intValue).toArray(), ModelSpec.floats(spec.valueRange()),
                spec.classNames(), Double.NaN, local.file().getFileName().toString(), local.sha256(), null);
        Model model = Model.newInstance(file, device, TorchRuntime.ENGINE);
        try {
            // trainParam: weights as ordinary tensors, not inference tensors, so input gradients flow.
            model.load(local.directory(), "model", Map.of("trainParam", "true", "mapLocation", "true"));
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
                    + TorchErrors.reason(e) + "); write one with torch.jit.save, not torch.save", e);
        }
        return new Classifier(model, metadata, file, spec, false);
    }

    /**
     * Turns off gradients for the weights. A TorchScript module loaded with trainable weights would
     * otherwise compute and accumulate every weight's gradient in each backward pass, wasted work
     * (docs/performance.md) into tensors that all tasks of an executor share.
     */
    private static void freeze(Block block) {
        block.getParameters().values().forEach(p -> p.getArray().setRequiresGradient(false));
    }
}
