package gibbon.model;

import ai.djl.Device;
import gibbon.GibbonException;
import java.util.Optional;

/**
 * Picks the device a task runs its model on, from the config's {@code model.device}, the libtorch
 * the engine loaded, and the GPU address the cluster manager assigned to the task (Spark's resource
 * scheduling), if any. A pure function of those three, so every case is tested with injected
 * values; Spark tasks, the run's preflight and {@code gibbon doctor} all decide through it.
 *
 * <ul>
 *   <li>{@code auto}: the GPU Spark assigned, else the CPU;
 *   <li>{@code gpu}: the GPU Spark assigned, else GPU 0;
 *   <li>{@code gpu:N}: GPU N; an error when Spark assigned the task another GPU;
 *   <li>{@code cpu}: the CPU, even when Spark assigned a GPU (the choice says so: that GPU idles).
 * </ul>
 *
 * A GPU that the loaded libtorch cannot use (no CUDA, or fewer GPUs than the index) is an error
 * naming the natives and how to get CUDA ones, never a silent fallback to the CPU.
 */
public final class DeviceChoice {
    private DeviceChoice() {}

    /**
     * The device and, for logs and {@code gibbon doctor}, why.
     *
     * @param reason one line, e.g. "model.device = auto and Spark assigned no GPU"
     */
    public record Choice(Device device, String reason) {}

    /**
     * @param setting {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}
     * @param natives the libtorch the engine loaded
     * @param assignedGpu the GPU address Spark assigned to the task, if it assigned one
     * @throws GibbonException of kind CONFIG naming {@code model.device} when the GPU asked for is not usable
     */
    public static Choice choose(String setting, TorchNatives natives, Optional<String> assignedGpu) {
        String key = "model.device = " + setting;
        Optional<Integer> assigned = assignedGpu.map(a -> index(a.trim()));
        if (setting.equals("cpu")) {
            return new Choice(Device.cpu(), assigned.map(a -> key + ", although Spark assigned GPU " + a
                    + " to the task: it stays idle").orElse(key));
        }
        if (setting.startsWith("gpu:")) {
            int wanted = Integer.parseInt(setting.substring(4));
            if (assigned.isPresent() && assigned.get() != wanted) {
                throw GibbonException.config(key + " but Spark assigned GPU " + assigned.get() + " to the task;"
                        + " set model.device = auto to run on the GPU Spark assigns");
            }
            return new Choice(gpu(key, wanted, natives), key);
        }
        if (assigned.isPresent()) {
            String why = key + ": Spark assigned GPU " + assigned.get() + " to the task";
            return new Choice(gpu(why, assigned.get(), natives), why);
        }
        if (setting.equals("gpu")) {
            return new Choice(gpu(key, 0, natives), key + " and Spark assigned no GPU: GPU 0");
        }
        return new Choice(Device.cpu(), key + " and Spark assigned no GPU");
    }

    /** GPU {@code index}, when the natives can use it. */
    private static Device gpu(String why, int index, TorchNatives natives) {
        if (!natives.cuda()) {
            throw GibbonException.config(why + ", but " + natives.describe() + " has no CUDA; " + cudaHint(natives));
        }
        if (index >= natives.gpus()) {
            throw GibbonException.config(why + ", but " + natives.describe() + " sees "
                    + (natives.gpus() == 0 ? "no GPU (no CUDA driver or no visible device)"
                            : natives.gpus() + " GPU" + (natives.gpus() == 1 ? "" : "s") + " (0-" + (natives.gpus() - 1)
                                    + "); where the cluster manager hides GPUs (CUDA_VISIBLE_DEVICES), the discovery script"
                                    + " must report the visible indices"));
        }
        return Device.gpu(index);
    }

    /**
     * How to get CUDA natives. None is on Maven Central for libtorch 2.7.1, and DJL runs offline,
     * so the executors need a CUDA libtorch of the same version installed and named to DJL.
     */
    private static String cudaHint(TorchNatives natives) {
        return "install libtorch " + natives.version() + " built for CUDA 12.8 (linux-x86_64) where the tasks run and set"
                + " PYTORCH_LIBRARY_PATH to its lib directory and PYTORCH_FLAVOR=" + TorchNatives.CUDA_FLAVOR
                + " in their environment (spark.executorEnv.* on a cluster); DJL runs offline and downloads no natives"
                + " (README: GPUs)";
    }

    private static int index(String address) {
        if (!address.matches("\\d+")) {
            throw GibbonException.config("model.device: the task's assigned GPU address '" + address
                    + "' is not a device index");
        }
        return Integer.parseInt(address);
    }
}
