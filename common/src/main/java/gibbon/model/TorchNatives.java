package gibbon.model;

import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.pytorch.jni.LibUtils;
import ai.djl.util.Utils;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The libtorch build a JVM's DJL PyTorch engine loaded, as far as the device decision needs it.
 *
 * @param version libtorch's version, e.g. {@code 2.7.1}
 * @param flavor DJL's name of the build: {@code cpu}, {@code cu128}, ...
 * @param path the directory the libraries were loaded from
 * @param cuda whether the library was built with CUDA
 * @param gpus the GPUs it can use (0 without CUDA)
 */
public record TorchNatives(String version, String flavor, String path, boolean cuda, int gpus) {
    /**
     * The CUDA flavour whose JNI library pytorch-jni 2.7.1-0.36.0 carries (for linux-x86_64): the
     * only CUDA libtorch DJL 0.36 can load without downloading anything.
     */
    public static final String CUDA_FLAVOR = "cu128";

    /** DJL's cache folder of extracted natives: {@code <version>-<flavor>-<classifier>}. */
    private static final Pattern CACHE_DIR = Pattern.compile("\\d+\\.\\d+\\.\\d+[^/]*?-((?:cpu|cu\\d+)(?:-precxx11)?)-[a-z]+-[a-z0-9_]+");

    /** The natives a started engine loaded. */
    public static TorchNatives of(Engine engine) {
        String path = LibUtils.getLibtorchPath();
        boolean cuda = engine.hasCapability(StandardCapabilities.CUDA);
        return new TorchNatives(engine.getVersion(), flavor(path, cuda), path, cuda, engine.getGpuCount());
    }

    /**
     * The build's flavour as DJL named it: natives from a jar are extracted to a cache folder named
     * after it; a libtorch found through {@code PYTORCH_LIBRARY_PATH} has the flavour
     * {@code PYTORCH_FLAVOR} says, and without it, the one its features show.
     */
    private static String flavor(String path, boolean cuda) {
        Matcher m = CACHE_DIR.matcher(Path.of(path).getFileName().toString());
        if (m.matches()) {
            return m.group(1);
        }
        String configured = Utils.getEnvOrSystemProperty("PYTORCH_FLAVOR");
        if (configured != null && !configured.isEmpty()) {
            return configured;
        }
        return cuda ? "cuda" : "cpu";
    }

    /** E.g. "libtorch 2.7.1 cpu at ~/.djl.ai/pytorch/2.7.1-20250812-cpu-linux-x86_64". */
    public String describe() {
        return "libtorch " + version + " " + flavor + " at " + path;
    }
}
